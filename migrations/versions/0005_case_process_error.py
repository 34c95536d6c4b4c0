"""case_file.process_error: a report whose process could not start is kept and flagged

Revision ID: 0005_case_process_error
Revises: 0004_login_security
Create Date: 2026-12-01 23:30:00

A diagram that deploys but fails at its first step must not lose citizens' reports: the case is
stored with the engine's message here, shown to the designers and the portal, and started again
once a fixed diagram is deployed.
"""
from alembic import op
import sqlalchemy as sa


revision = '0005_case_process_error'
down_revision = '0004_login_security'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('case_file', sa.Column('process_error', sa.Text(), nullable=True))


def downgrade():
    op.drop_column('case_file', 'process_error')  # plain DROP COLUMN: no batch copy of case_file
