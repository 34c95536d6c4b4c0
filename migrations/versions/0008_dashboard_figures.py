"""indexes for the leaders' figures (placeholder)

Revision ID: 0008_dashboard_figures
Revises: 0007_announcements_open311
Create Date: 2026-12-02 00:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0008_dashboard_figures'
down_revision = '0007_announcements_open311'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
