"""process drafts kept per designer

Revision ID: 0012_process_drafts
Revises: 0011_scale_indexes
Create Date: 2026-12-08 04:50:00

A designer saves the diagram they are editing in the browser modeler as a draft (work in
progress, never run): its owner, the process, a title, the XML and the version it started from.
"""
from alembic import op
import sqlalchemy as sa


revision = '0012_process_drafts'
down_revision = '0011_scale_indexes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'process_draft',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=False),
        sa.Column('process_id', sa.String(length=80), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('xml', sa.Text(), nullable=False),
        sa.Column('based_on_version_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['owner_id'], ['user_account.id'], ),
        sa.ForeignKeyConstraint(['based_on_version_id'], ['process_version.id'], ),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_process_draft_owner_updated', 'process_draft',
                    ['owner_id', 'updated_at'], unique=False)


def downgrade():
    op.drop_index('ix_process_draft_owner_updated', table_name='process_draft')
    op.drop_table('process_draft')
