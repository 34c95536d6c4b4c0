"""Shared fixtures: the app on SQLite and on PostgreSQL, schema from the real migrations."""
from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, make_url, text

from caseapp import config as app_config

_prepared: set[str] = set()


def service_unavailable(what: str, exc: Exception):
    """Skip locally; fail in CI where CASEBRIDGE_REQUIRE_SERVICES=1."""
    message = f"{what} unavailable: {exc}"
    if app_config.services_required():
        pytest.fail(message + " (CASEBRIDGE_REQUIRE_SERVICES=1: services are required)")
    pytest.skip(message)


_pg_database: dict[str, str] = {}


def postgres_url() -> str:
    """A private database for this test process, so parallel runs never trample each other."""
    if "url" in _pg_database:
        return _pg_database["url"]
    base = make_url(app_config.test_database_url())
    if base.drivername == "postgresql":
        base = base.set(drivername="postgresql+psycopg")
    name = f"casebridge_test_{os.getpid()}"
    try:
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING \'UTF8\''))
        admin.dispose()
    except Exception as exc:
        service_unavailable("PostgreSQL", exc)
    _pg_database.update(url=base.set(database=name).render_as_string(hide_password=False),
                        name=name, base=base.render_as_string(hide_password=False))
    return _pg_database["url"]


@pytest.fixture(scope="session", autouse=True)
def _drop_private_database():
    yield
    if "name" in _pg_database:
        admin = create_engine(_pg_database["base"], isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{_pg_database["name"]}" WITH (FORCE)'))
        admin.dispose()


def _make_app(url: str):
    from caseapp import create_app
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None,
                       "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
                       "SECRET_KEY": "test-secret", "SERVER_NAME": None})


def _prepare_schema(app, backend: str) -> None:
    if backend in _prepared:
        return
    from flask_migrate import upgrade
    from caseapp.extensions import db
    with app.app_context():
        upgrade()
    _prepared.add(backend)


def _clean(app, backend: str) -> None:
    from caseapp.extensions import db
    from caseapp.services.administration.processes import forget_cached_specs
    forget_cached_specs()
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            tables = [table.name for table in reversed(db.metadata.sorted_tables)]  # children first
            if backend == "postgresql":
                conn.execute(text("TRUNCATE " + ", ".join(tables) + " RESTART IDENTITY CASCADE"))
            else:
                for table in tables:
                    conn.execute(text(f"DELETE FROM {table}"))


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashing():
    """scrypt is right in production and far too slow for 25 demo users per test."""
    from werkzeug import security
    from caseapp.models import org
    original = org.generate_password_hash
    org.generate_password_hash = lambda password: security.generate_password_hash(
        password, method="pbkdf2:sha256:1000")
    yield
    org.generate_password_hash = original


def _forget_login_between_requests(sender, **extra):
    """The test's app context outlives requests; Flask-Login must not carry a user over."""
    from flask import g
    g.pop("_login_user", None)


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory):
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request):
    return request.param


@pytest.fixture
def app(backend, sqlite_url):
    """A fresh app on a clean database of each backend."""
    url = sqlite_url if backend == "sqlite" else postgres_url()
    application = _make_app(url)
    _prepare_schema(application, backend)
    _clean(application, backend)
    from flask import request_started
    request_started.connect(_forget_login_between_requests, application)
    with application.app_context():
        yield application
        from caseapp.extensions import db
        db.session.remove()
    with application.app_context():
        from caseapp.extensions import db
        db.engine.dispose()


@pytest.fixture
def seeded(app):
    """Reference data, the bundled process and demo accounts (password 'pw')."""
    from caseapp.services.administration.seed import seed_demo
    seed_demo("pw")
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def users(seeded):
    """Demo users by username."""
    from caseapp.extensions import db
    from caseapp.models import User
    return {u.username: u for u in db.session.scalars(db.select(User))}


TIERS = ("unit", "integration", "browser")


def pytest_collection_modifyitems(config, items):
    """Each test carries its tier's marker (its folder), so `-m unit` etc. select a tier."""
    for item in items:
        parts = item.path.parts
        for tier in TIERS:
            if tier in parts:
                item.add_marker(getattr(pytest.mark, tier))
