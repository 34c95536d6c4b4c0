"""Every route of the URL map, called as every kind of caller, answers as route_access_table.TABLE
says; a route missing from the table (or a row for a route that is gone) fails.

One seeded app per backend for the whole module (each caller has its own case, so the calls of
one caller cannot change another's outcome). PostgreSQL runs too: access is decided by queries
(a case's agencies, the queue's condition), and those must agree on both databases.
"""
from __future__ import annotations

import pytest

from tests.conftest import (_clean, _forget_login_between_requests, _make_app, _prepare_schema,
                            postgres_url)

from .route_access_table import (OUTCOMES, ROLES, TABLE, Caller, build_world, outcome_of,
                                 url_map_routes, warm_holiday_tables)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def access_world(request, sqlite_url):
    """(app, world): the demo province with one case per caller in the owning agency."""
    from flask import request_started
    from caseapp.extensions import db
    from caseapp.services.administration.seed import seed_demo
    backend = request.param
    app = _make_app(sqlite_url if backend == "sqlite" else postgres_url())
    _prepare_schema(app, backend)
    _clean(app, backend)
    request_started.connect(_forget_login_between_requests, app)
    with app.app_context():
        warm_holiday_tables()
        seed_demo("pw")
        world = build_world()
        yield app, world
        db.session.remove()
    request_started.disconnect(_forget_login_between_requests, app)
    with app.app_context():
        db.engine.dispose()


def test_the_table_lists_exactly_the_routes_of_the_url_map(access_world):
    app, _world = access_world
    routes = url_map_routes(app)
    missing = sorted(routes - TABLE.keys())
    gone = sorted(TABLE.keys() - routes)
    assert not missing, f"routes with no row in route_access_table.TABLE: {missing}"
    assert not gone, f"rows for routes the app no longer has: {gone}"
    for route, row in TABLE.items():
        assert set(row) == set(ROLES), (route, set(ROLES) ^ set(row))
        assert set(row.values()) <= set(OUTCOMES), (route, row)


@pytest.mark.parametrize("role", ROLES)
def test_every_route_answers_each_caller_as_the_table_says(access_world, role):
    app, world = access_world
    caller = Caller(app, role, world)
    wrong = []
    for rule, method in sorted(url_map_routes(app) & TABLE.keys(), key=_logout_last):
        expected = TABLE[(rule, method)][role]
        response = caller.call(rule, method)
        actual = outcome_of(response)
        if actual != expected:
            wrong.append(f"{method} {rule}: expected {expected}, got {actual} "
                         f"({response.status_code} {response.headers.get('Location', '')})")
    assert not wrong, f"as {role}:\n  " + "\n  ".join(wrong)


def _logout_last(route: tuple[str, str]) -> tuple[bool, str, str]:
    """Signing out is called last (the caller signs in again after it anyway)."""
    return (route[0] == "/logout", *route)
