"""personal data: reporter identity encrypted at rest, phone lookup index, retention (placeholder)

Revision ID: 0006_personal_data
Revises: 0005_case_process_error
Create Date: 2026-12-02 00:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006_personal_data'
down_revision = '0005_case_process_error'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
