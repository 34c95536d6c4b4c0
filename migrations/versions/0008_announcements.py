"""emergency announcements

Revision ID: 0008_announcements
Revises: 0007_personal_data
Create Date: 2026-12-02 00:45:00

The portal supervisor or the provincial leader publishes urgent information shown at the top of
every public page, in the API and in Open311's service_notice while it is active.

Also the public transparency board's indexes on case_file (models/board.py): answered reports
newest first, and on PostgreSQL a full-text index on the published reply.
"""
from alembic import op
import sqlalchemy as sa


revision = '0008_announcements'
down_revision = '0007_personal_data'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'announcement',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('area', sa.String(length=200), nullable=False),
        sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('withdrawn_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], ),
        sa.ForeignKeyConstraint(['withdrawn_by_id'], ['user_account.id'], ),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_announcement_window', 'announcement',
                    ['withdrawn_at', 'ends_at', 'starts_at'], unique=False)
    op.create_index(op.f('ix_announcement_author_id'), 'announcement', ['author_id'], unique=False)
    op.create_index('ix_case_status_closed', 'case_file', ['status', 'closed_at'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.create_index('ix_case_reply_words', 'case_file',
                        [sa.text("to_tsvector('simple', public_response)")],
                        unique=False, postgresql_using='gin')


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_index('ix_case_reply_words', table_name='case_file')
    op.drop_index('ix_case_status_closed', table_name='case_file')
    op.drop_index(op.f('ix_announcement_author_id'), table_name='announcement')
    op.drop_index('ix_announcement_window', table_name='announcement')
    op.drop_table('announcement')
