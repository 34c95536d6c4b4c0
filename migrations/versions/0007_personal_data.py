"""personal data: reporter identity encrypted at rest, phone lookup index, retention, disclosures

Revision ID: 0007_personal_data
Revises: 0006_case_district
Create Date: 2026-12-02 00:45:00

Decree 13/2023/NĐ-CP: the reporter's name, phone and e-mail become Fernet tokens (Text) under
PERSONAL_DATA_KEYS (read through caseapp.config: the app's keys under `flask db`), phones are
found through a keyed digest (case_file.reporter_phone_digest), every showing of an identity to
staff is a row of identity_disclosure, and personal_data_setting holds the retention period.
The copy of a reporter's e-mail in the outbox (notification.recipient_address) is encrypted
the same way. Existing rows are encrypted here; the downgrade decrypts them back.

SQLite cannot change a column's type without a batch copy of case_file, which the tables
referencing case_file do not survive: there the new columns are added, filled, the old ones
dropped and the new ones renamed (plain ALTER TABLE, SQLite 3.35+).
"""
from alembic import op
import sqlalchemy as sa


revision = '0007_personal_data'
down_revision = '0006_case_district'
branch_labels = None
depends_on = None

BATCH = 500
IDENTITY = (('reporter_name', 120, False), ('reporter_phone', 20, False),
            ('reporter_email', 200, True))
OUTBOX = (('recipient_address', 200, True),)
RETYPED = (('case_file', IDENTITY), ('notification', OUTBOX))


def _keyring():
    from caseapp.config import configured_personal_data_keys
    from caseapp.services.privacy.encryption import keyring_for
    return keyring_for(tuple(configured_personal_data_keys()))


def _table(table, *names):
    return sa.table(table, sa.column('id', sa.Integer()),
                    *(sa.column(name, sa.Text()) for name in names))


def _convert(table: str, columns, read_suffix: str, write_suffix: str, convert,
             digest=None) -> None:
    """Copy every row's columns from the names +read_suffix to +write_suffix through convert
    (encrypt or decrypt), and case_file's phone digest when asked, in batches by id."""
    bind = op.get_bind()
    names = [name for name, _, _ in columns]
    read = _table(table, *(name + read_suffix for name in names))
    written = _table(table, *(name + write_suffix for name in names),
                     *(['reporter_phone_digest'] if digest else []))
    last = 0
    while True:
        rows = bind.execute(sa.select(read).where(read.c.id > last)
                            .order_by(read.c.id).limit(BATCH)).all()
        if not rows:
            return
        for row in rows:
            values = {name + write_suffix: (None if row[i + 1] is None else convert(row[i + 1]))
                      for i, name in enumerate(names)}
            if digest:
                values['reporter_phone_digest'] = digest(row[2])
            bind.execute(sa.update(written).where(written.c.id == row[0]).values(**values))
        last = rows[-1][0]


def upgrade():
    op.create_table(
        'identity_disclosure',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('actor_label', sa.String(length=120), nullable=False),
        sa.Column('role', sa.String(length=20), nullable=False),
        sa.Column('channel', sa.String(length=20), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['case_file.id'], ondelete='CASCADE',
                                name=op.f('fk_identity_disclosure_case_id_case_file')),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'],
                                name=op.f('fk_identity_disclosure_user_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_identity_disclosure')))
    op.create_index('ix_identity_disclosure_case_at', 'identity_disclosure', ['case_id', 'at'])
    op.create_index(op.f('ix_identity_disclosure_user_id'), 'identity_disclosure', ['user_id'])
    op.create_index(op.f('ix_identity_disclosure_at'), 'identity_disclosure', ['at'])
    op.create_table(
        'personal_data_setting',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('retention_days', sa.Integer(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by', sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_personal_data_setting')))

    op.add_column('case_file', sa.Column('reporter_phone_digest', sa.String(length=64),
                                         nullable=True))
    op.create_index(op.f('ix_case_file_reporter_phone_digest'), 'case_file',
                    ['reporter_phone_digest'])
    keyring = _keyring()
    for table, columns in RETYPED:
        digest = keyring.phone_digest if table == 'case_file' else None
        if op.get_bind().dialect.name == 'sqlite':
            _sqlite_retype(table, columns, lambda name, length: sa.Text(), '__plain',
                           keyring.encrypt, digest)
        else:
            for name, length, nullable in columns:
                op.alter_column(table, name, type_=sa.Text(),
                                existing_type=sa.String(length=length), existing_nullable=nullable)
            _convert(table, columns, '', '', keyring.encrypt, digest)


def downgrade():
    keyring = _keyring()
    for table, columns in RETYPED:
        if op.get_bind().dialect.name == 'sqlite':
            _sqlite_retype(table, columns, lambda name, length: sa.String(length=length),
                           '__token', keyring.decrypt)
        else:
            _convert(table, columns, '', '', keyring.decrypt)
            for name, length, nullable in columns:
                op.alter_column(table, name, type_=sa.String(length=length),
                                existing_type=sa.Text(), existing_nullable=nullable)
    op.drop_index(op.f('ix_case_file_reporter_phone_digest'), table_name='case_file')
    op.drop_column('case_file', 'reporter_phone_digest')  # plain DROP COLUMN: no batch copy
    op.drop_table('personal_data_setting')
    op.drop_index(op.f('ix_identity_disclosure_at'), table_name='identity_disclosure')
    op.drop_index(op.f('ix_identity_disclosure_user_id'), table_name='identity_disclosure')
    op.drop_index('ix_identity_disclosure_case_at', table_name='identity_disclosure')
    op.drop_table('identity_disclosure')


def _sqlite_retype(table: str, columns, new_type, old_suffix: str, convert, digest=None) -> None:
    """SQLite: rename the columns aside, add them again with the new type (NOT NULL ones with an
    empty default, as SQLite requires), convert the rows, drop the old ones."""
    for name, length, nullable in columns:
        op.execute(f'ALTER TABLE {table} RENAME COLUMN {name} TO {name}{old_suffix}')
        op.add_column(table, sa.Column(name, new_type(name, length), nullable=nullable,
                                       server_default=None if nullable else ''))
    _convert(table, columns, old_suffix, '', convert, digest)
    for name, _, _ in columns:
        op.drop_column(table, name + old_suffix)  # plain DROP COLUMN: no batch copy
