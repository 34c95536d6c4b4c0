"""Redis down (the production setup: REDIS_URL set, rate limits on) must not stop intake:
reports are accepted, rate limits fall back to per-process memory, staff keep working and
/healthz says Redis is down."""
from __future__ import annotations

import logging
import socket
from datetime import datetime, timedelta, timezone

import pytest
from freezegun import freeze_time

from caseapp.extensions import db
from caseapp.models import Case, Deadline
from caseapp.services.delivery import hooks

from .helpers import REPORT, Api
from .web import REPORT_FORM, login


def _closed_port_url() -> str:
    """A Redis URL on a port of 127.0.0.1 where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


@pytest.fixture
def down_app(app, seeded):
    """A second app on the seeded database, configured as in production with Redis unreachable."""
    from caseapp import create_app
    url = _closed_port_url()
    application = create_app({
        "TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": url, "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": url,
        "WTF_CSRF_ENABLED": False, "SECRET_KEY": "test-secret", "SERVER_NAME": None})
    assert application.extensions["casebridge_rq"]  # the RQ listeners are registered
    yield application
    hooks.clear()
    with application.app_context():
        db.engine.dispose()
    _leave_the_limiter_healthy(app.config["SQLALCHEMY_DATABASE_URI"])


def _leave_the_limiter_healthy(database_url: str) -> None:
    """The limiter is one object for every app of the process: bind it to a working storage and
    let it see that storage recover (it rechecks a dead one with back-off), so the tests that
    follow start from a limiter that is not on its fallback."""
    from caseapp import create_app
    from caseapp.extensions import limiter
    healthy = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url,
                          "REDIS_URL": None, "RATELIMIT_ENABLED": True,
                          "RATELIMIT_STORAGE_URI": "memory://", "SECRET_KEY": "test-secret"})
    with freeze_time(datetime.now(timezone.utc) + timedelta(minutes=5)):
        healthy.test_client().get("/healthz")
    limiter.reset()
    limiter.enabled = False
    with healthy.app_context():
        db.engine.dispose()


def _case(code: str) -> Case:
    db.session.rollback()
    return db.session.scalars(db.select(Case).where(Case.tracking_code == code)).one()


def _pending_deadlines(case: Case) -> list[Deadline]:
    return list(db.session.scalars(db.select(Deadline).where(
        Deadline.case_id == case.id, Deadline.state == "pending")))


def test_reports_are_accepted_and_logged_when_redis_is_down(down_app, caplog):
    client = down_app.test_client()
    with caplog.at_level(logging.WARNING):
        response = client.post("/api/v1/reports", json=REPORT)
        assert response.status_code == 201, response.get_data(as_text=True)[:2000]
        code = response.get_json()["tracking_code"]
        assert len(_pending_deadlines(_case(code))) == 1  # the sweep will schedule it

        again = client.post("/api/v1/reports", json=REPORT)  # the limiter stays on its fallback
        assert again.status_code == 201
    messages = [record.getMessage() for record in caplog.records]
    assert any("falling back to in-memory storage" in m for m in messages), messages
    assert any("after-commit listener" in m for m in messages), messages  # the enqueue failed


def test_the_web_report_form_accepts_when_redis_is_down(down_app):
    client = down_app.test_client()
    response = client.post("/report", data=REPORT_FORM, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    codes = list(db.session.scalars(db.select(Case.tracking_code)))
    assert len(codes) == 1 and codes[0] in page
    assert len(_pending_deadlines(_case(codes[0]))) == 1


def test_rate_limits_still_apply_in_memory_when_redis_is_down(down_app):
    client = down_app.test_client()
    statuses = [client.post("/api/v1/reports", json={}).status_code for _ in range(61)]
    assert statuses[:60] == [422] * 60 and statuses[60] == 429


def test_healthz_reports_redis_down_and_keeps_answering(down_app):
    client = down_app.test_client()
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "degraded" and body["db"] == "ok"
    assert body["redis"].startswith("down")
    assert body["timers"].startswith("rq unreachable")
    assert body["rate_limits"] == "in-memory fallback (storage unreachable)"


def test_staff_keep_working_when_redis_is_down(down_app):
    client = down_app.test_client()
    api = Api(client)
    code = api.submit()
    item = api.item_for("operator", code)
    claimed = api.call("POST", f"/api/v1/work-items/{item['id']}/claim", "operator")
    assert claimed.status_code == 200, claimed.get_json()
    assert api.call("GET", f"/api/v1/cases/{code}", "operator").status_code == 200
    login(client, "operator")
    assert client.get("/work/").status_code == 200
