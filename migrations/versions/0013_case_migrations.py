"""moves of running cases to another process version

Revision ID: 0013_case_migrations
Revises: 0012_process_drafts
Create Date: 2026-12-08 04:50:00

A designer moves running cases to a newer process version: `process_move` is one bulk run with
its progress counts; `case_move` is each case's move with the workflow state it had before
(to revert it) and the hash of the state the move left (a revert is refused after later work).
"""
from alembic import op
import sqlalchemy as sa


revision = '0013_case_migrations'
down_revision = '0012_process_drafts'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'process_move',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('from_version_id', sa.Integer(), nullable=True),
        sa.Column('to_version_id', sa.Integer(), nullable=False),
        sa.Column('started_by_id', sa.Integer(), nullable=True),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('moved', sa.Integer(), nullable=False),
        sa.Column('blocked', sa.Integer(), nullable=False),
        sa.Column('failed', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(['from_version_id'], ['process_version.id'], ),
        sa.ForeignKeyConstraint(['to_version_id'], ['process_version.id'], ),
        sa.ForeignKeyConstraint(['started_by_id'], ['user_account.id'], ),
        sa.PrimaryKeyConstraint('id'))
    op.create_table(
        'case_move',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('run_id', sa.Integer(), nullable=True),
        sa.Column('from_version_id', sa.Integer(), nullable=False),
        sa.Column('to_version_id', sa.Integer(), nullable=False),
        sa.Column('previous_state', sa.Text(), nullable=False),
        sa.Column('moved_state_sha256', sa.String(length=64), nullable=False),
        sa.Column('moved_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('reverted_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('reverted_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['case_file.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['run_id'], ['process_move.id'], ),
        sa.ForeignKeyConstraint(['from_version_id'], ['process_version.id'], ),
        sa.ForeignKeyConstraint(['to_version_id'], ['process_version.id'], ),
        sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], ),
        sa.ForeignKeyConstraint(['reverted_by_id'], ['user_account.id'], ),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_case_move_case_moved', 'case_move', ['case_id', 'moved_at'], unique=False)
    op.create_index(op.f('ix_case_move_run_id'), 'case_move', ['run_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_case_move_run_id'), table_name='case_move')
    op.drop_index('ix_case_move_case_moved', table_name='case_move')
    op.drop_table('case_move')
    op.drop_table('process_move')
