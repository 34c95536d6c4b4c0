"""Open311 API keys

Revision ID: 0010_open311_keys
Revises: 0009_dashboard_figures
Create Date: 2026-12-02 00:45:00

Outside systems post reports through Open311 GeoReport v2 with an api_key issued by an admin;
the table keeps only the key's SHA-256, its name, who issued and who revoked it, and when.
"""
from alembic import op
import sqlalchemy as sa


revision = '0010_open311_keys'
down_revision = '0009_dashboard_figures'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'open311_key',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('key_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('revoked_by_id', sa.Integer(), nullable=True),
        sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], ),
        sa.ForeignKeyConstraint(['revoked_by_id'], ['user_account.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('key_hash'),
        sa.UniqueConstraint('name'))


def downgrade():
    op.drop_table('open311_key')
