"""The Alembic migrations build exactly the schema the models describe, on both backends."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from caseapp.extensions import db


def test_migrations_match_the_models(app):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_downgrade_and_upgrade_again(app, backend):
    from flask_migrate import downgrade, upgrade
    downgrade(revision="base")
    try:
        with db.engine.connect() as conn:
            tables = db.inspect(conn).get_table_names()
        assert "case_file" not in tables
    finally:
        upgrade()
    with db.engine.connect() as conn:
        assert "case_file" in db.inspect(conn).get_table_names()
