"""indexes for the leaders' figures

Revision ID: 0009_dashboard_figures
Revises: 0008_announcements
Create Date: 2026-12-02 00:45:00

The dashboard (caseapp/services/figures) cuts cases by period, category, district, phase and
urgency, walks each returned assignment to the next one (the bounce map), and counts tasks by
their duty's due time (work_item.due_at) and by completion time. Indexes only: no aggregate
tables to keep.
"""
from alembic import op
import sqlalchemy as sa


revision = '0009_dashboard_figures'
down_revision = '0008_announcements'
branch_labels = None
depends_on = None

INDEXES = [
    ('ix_case_created', 'case_file', ['created_at']),
    ('ix_case_category_created', 'case_file', ['category_id', 'created_at']),
    ('ix_case_district_created', 'case_file', ['district_id', 'created_at']),
    ('ix_case_closed', 'case_file', ['closed_at']),
    ('ix_case_urgent_status', 'case_file', ['urgent', 'status']),
    ('ix_assignment_case_seq', 'case_assignment', ['case_id', 'seq']),
    ('ix_assignment_outcome_at', 'case_assignment', ['outcome', 'outcome_at']),
    ('ix_assignment_assigned', 'case_assignment', ['assigned_at']),
    ('ix_assignment_agency_assigned', 'case_assignment', ['agency_id', 'assigned_at']),
    ('ix_work_item_completed', 'work_item', ['state', 'completed_at']),
    ('ix_work_item_state_due', 'work_item', ['state', 'due_at']),
    ('ix_work_item_due', 'work_item', ['due_at']),
    ('ix_work_item_agency_due', 'work_item', ['agency_id', 'due_at']),
]


OPEN_CASES = sa.text("status = 'open'")


def upgrade():
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)
    # open now by phase and by agency, read from the index alone (a tenth of the cases at most)
    op.create_index('ix_case_open_phase_agency', 'case_file', ['phase', 'current_agency_id'],
                    unique=False, postgresql_where=OPEN_CASES, sqlite_where=OPEN_CASES)


def downgrade():
    op.drop_index('ix_case_open_phase_agency', table_name='case_file')
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
