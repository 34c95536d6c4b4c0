"""emergency announcements (placeholder)

Revision ID: 0008_announcements
Revises: 0007_personal_data
Create Date: 2026-12-02 00:45:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0008_announcements'
down_revision = '0007_personal_data'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
