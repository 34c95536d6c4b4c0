"""district reference table; case_file.district_id

Revision ID: 0006_case_district
Revises: 0005_case_process_error
Create Date: 2026-12-02 00:45:00

Leaders' figures, the public board and Open311 group reports by district; a report may name
the district it is in (optional: many citizens do not know it).
"""
from alembic import op
import sqlalchemy as sa


revision = '0006_case_district'
down_revision = '0005_case_process_error'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'district',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=40), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('name_en', sa.String(length=120), nullable=True),
        sa.Column('sort', sa.Integer(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_district')),
        sa.UniqueConstraint('code', name=op.f('uq_district_code')))
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite adds a column with its reference in one ALTER; Alembic would want a batch copy
        # of case_file, which the tables referencing case_file do not survive.
        op.execute('ALTER TABLE case_file ADD COLUMN district_id INTEGER REFERENCES district (id)')
    else:
        op.add_column('case_file', sa.Column(
            'district_id', sa.Integer(),
            sa.ForeignKey('district.id', name=op.f('fk_case_file_district_id_district')),
            nullable=True))
    op.create_index(op.f('ix_case_file_district_id'), 'case_file', ['district_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_case_file_district_id'), table_name='case_file')
    op.drop_column('case_file', 'district_id')  # plain DROP COLUMN: no batch copy of case_file
    op.drop_table('district')
