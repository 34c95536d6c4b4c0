"""sla_policy.label, label_en: a phase's display name comes from data, not code

Revision ID: 0003_sla_policy_labels
Revises: 0002_work_item_queue
Create Date: 2026-11-28 10:00:00

A designer may add a phase to a diagram (sla_due('site_visit')); its SLA policy row now carries
the label people read (Vietnamese, and English). Empty labels keep the built-in translated ones.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003_sla_policy_labels'
down_revision = '0002_work_item_queue'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('sla_policy') as batch_op:
        batch_op.add_column(sa.Column('label', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('label_en', sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table('sla_policy') as batch_op:
        batch_op.drop_column('label_en')
        batch_op.drop_column('label')
