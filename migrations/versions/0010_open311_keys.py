"""Open311 API keys (placeholder)

Revision ID: 0010_open311_keys
Revises: 0009_dashboard_figures
Create Date: 2026-12-02 00:45:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0010_open311_keys'
down_revision = '0009_dashboard_figures'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
