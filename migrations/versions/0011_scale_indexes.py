"""open work items in task-list order

Revision ID: 0011_scale_indexes
Revises: 0010_open311_keys
Create Date: 2026-12-02 01:15:00

A task list pages through one queue's open items by due time (NULLS LAST), then age: partial
indexes on the open items in that order let the first page be read from the index, whatever
the length of the queue or the number of closed cases (bench/tasklist.py, 1.1 M cases); the
task filter finds the different tasks open in a queue by one index probe each.
"""
from alembic import op
import sqlalchemy as sa


revision = '0011_scale_indexes'
down_revision = '0010_open311_keys'
branch_labels = None
depends_on = None

OPEN = sa.text("state = 'open'")
INDEXES = [
    ('ix_work_open_queue_due', ['queue', 'due_at', 'created_at', 'id']),
    ('ix_work_open_agency_due', ['agency_id', 'queue', 'due_at', 'created_at', 'id']),
    ('ix_work_open_queue_task', ['queue', 'bpmn_id']),
    ('ix_work_open_agency_task', ['agency_id', 'queue', 'bpmn_id']),
]


def upgrade():
    for name, columns in INDEXES:
        op.create_index(name, 'work_item', columns, unique=False,
                        postgresql_where=OPEN, sqlite_where=OPEN)


def downgrade():
    for name, _columns in reversed(INDEXES):
        op.drop_index(name, table_name='work_item')
