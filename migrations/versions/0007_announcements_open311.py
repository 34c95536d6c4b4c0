"""emergency announcements and Open311 API keys (placeholder)

Revision ID: 0007_announcements_open311
Revises: 0006_personal_data
Create Date: 2026-12-02 00:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007_announcements_open311'
down_revision = '0006_personal_data'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
