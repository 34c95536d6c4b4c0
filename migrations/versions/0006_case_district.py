"""district reference table; case_file.district_id (placeholder)

Revision ID: 0006_case_district
Revises: 0005_case_process_error
Create Date: 2026-12-02 00:45:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006_case_district'
down_revision = '0005_case_process_error'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
