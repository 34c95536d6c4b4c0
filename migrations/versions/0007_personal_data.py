"""personal data: reporter identity encrypted at rest, phone lookup index, retention (placeholder)

Revision ID: 0007_personal_data
Revises: 0006_case_district
Create Date: 2026-12-02 00:45:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007_personal_data'
down_revision = '0006_case_district'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
