"""work_item.queue: a user task's queue comes from the BPMN (candidateGroups, else the lane)

Revision ID: 0002_work_item_queue
Revises: 0001
Create Date: 2026-11-28 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002_work_item_queue'
down_revision = '0001'
branch_labels = None
depends_on = None

_work_item = sa.table('work_item', sa.column('lane', sa.String(40)), sa.column('queue', sa.String(40)))


def upgrade():
    with op.batch_alter_table('work_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('queue', sa.String(length=40), nullable=True))
    # the rows written before queues existed: the lane was the queue
    op.execute(_work_item.update().values(queue=sa.case(
        (_work_item.c.lane == 'Portal', 'portal'),
        (_work_item.c.lane == 'Agency', 'agency'),
        else_=None)))
    with op.batch_alter_table('work_item', schema=None) as batch_op:
        batch_op.drop_index('ix_work_queue')
        batch_op.create_index('ix_work_queue', ['state', 'queue', 'agency_id', 'due_at'], unique=False)


def downgrade():
    with op.batch_alter_table('work_item', schema=None) as batch_op:
        batch_op.drop_index('ix_work_queue')
        batch_op.create_index('ix_work_queue', ['state', 'lane', 'agency_id', 'due_at'], unique=False)
        batch_op.drop_column('queue')
