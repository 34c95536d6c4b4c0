"""login_failure per (username, source); user_account.session_version

Revision ID: 0004_login_security
Revises: 0003_sla_policy_labels
Create Date: 2026-12-01 10:00:00

The lockout after failed sign-ins counts per username AND client address, so a stranger cannot
lock a staff member out; the session version on the user row ends every web session and API
token when it is bumped (logout, new password, disabled account).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004_login_security'
down_revision = '0003_sla_policy_labels'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'login_failure',
        sa.Column('username', sa.String(length=80), nullable=False),
        sa.Column('source', sa.String(length=64), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('last_failed_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('username', 'source'),
    )
    with op.batch_alter_table('login_failure') as batch_op:
        batch_op.create_index(batch_op.f('ix_login_failure_source'), ['source'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_failure_last_failed_at'), ['last_failed_at'],
                              unique=False)
    with op.batch_alter_table('user_account') as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), nullable=False,
                                      server_default='0'))


def downgrade():
    # a plain DROP COLUMN (SQLite 3.35+ has it): a batch copy of user_account would trip the
    # foreign keys of every row that names a user
    op.drop_column('user_account', 'session_version')
    with op.batch_alter_table('login_failure') as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_failure_last_failed_at'))
        batch_op.drop_index(batch_op.f('ix_login_failure_source'))
    op.drop_table('login_failure')
