"""indexes and aggregates for the leaders' figures (placeholder)

Revision ID: 0009_dashboard_figures
Revises: 0008_announcements
Create Date: 2026-12-02 00:45:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0009_dashboard_figures'
down_revision = '0008_announcements'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
