"""maintained daily figures for the dashboard

Revision ID: 0014_daily_figures
Revises: 0013_case_migrations
Create Date: 2026-12-08 04:50:00

The dashboard's daily rollup (caseapp/models/figures.py, caseapp/services/figures/rollup.py):
facts of past local days that no longer change, summed per day and cut, so a dashboard load
sums a few thousand rows instead of counting a million cases. Filled by `flask figures rollup`
(and caught up by the dashboard and the periodic job); empty tables mean "read everything live".
"""
from alembic import op
import sqlalchemy as sa


revision = '0014_daily_figures'
down_revision = '0013_case_migrations'
branch_labels = None
depends_on = None


def _cut_columns():
    return [sa.Column('id', sa.Integer(), nullable=False),
            sa.Column('day', sa.Date(), nullable=False),
            sa.Column('grain', sa.SmallInteger(), nullable=False),
            sa.Column('category_id', sa.Integer(), nullable=True),
            sa.Column('district_id', sa.Integer(), nullable=True)]


def _counts(*names):
    return [sa.Column(name, sa.Integer(), nullable=False) for name in names]


TABLES = {
    'daily_cases': lambda: [sa.Column('agency_id', sa.Integer(), nullable=True),
                            *_counts('received', 'closed', 'rejected', 'urgent', 'closed_on')],
    'daily_duties': lambda: [sa.Column('phase', sa.String(length=80), nullable=False),
                             sa.Column('agency_id', sa.Integer(), nullable=True),
                             *_counts('met', 'late')],
    'daily_assignments': lambda: [sa.Column('agency_id', sa.Integer(), nullable=False),
                                  *_counts('assigned', 'returned', 'late_returns')],
    'daily_bounces': lambda: [sa.Column('from_agency_id', sa.Integer(), nullable=False),
                              sa.Column('to_agency_id', sa.Integer(), nullable=True),
                              *_counts('returns')],
    'daily_durations': lambda: [sa.Column('phase', sa.String(length=80), nullable=False),
                                sa.Column('agency_id', sa.Integer(), nullable=True),
                                sa.Column('bucket', sa.SmallInteger(), nullable=False),
                                *_counts('tasks'),
                                sa.Column('min_seconds', sa.Float(), nullable=False),
                                sa.Column('max_seconds', sa.Float(), nullable=False)],
}
READ_INDEX = {'daily_cases': ['grain', 'agency_id', 'day']}


def upgrade():
    op.create_table('figures_rollup',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('watermark', sa.DateTime(timezone=True), nullable=True),
                    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
                    sa.PrimaryKeyConstraint('id'))
    for table, columns in TABLES.items():
        op.create_table(table, *_cut_columns(), *columns(), sa.PrimaryKeyConstraint('id'))
        op.create_index(f'ix_{table}_read', table, READ_INDEX.get(table, ['grain', 'day']),
                        unique=False)
        op.create_index(f'ix_{table}_day', table, ['day'], unique=False)


def downgrade():
    for table in reversed(list(TABLES)):
        op.drop_index(f'ix_{table}_day', table_name=table)
        op.drop_index(f'ix_{table}_read', table_name=table)
        op.drop_table(table)
    op.drop_table('figures_rollup')
