"""The outbox: transports (SMTP against a local aiosmtpd sink, log, plug-ins), attempts and states."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from email.header import decode_header, make_header

import pytest
from freezegun import freeze_time

from caseapp.calendar.days import LOCAL_TZ
from caseapp.extensions import db
from caseapp.models import Deadline, Notification, WorkItem
from caseapp.services.delivery import outbox as delivery
from caseapp.transports import (OutgoingMessage, TransportError, channel_routes,
                                register_transport)

from .rq_helpers import Sink, submit  # noqa: F401

START = datetime(2026, 11, 25, 10, 0, tzinfo=LOCAL_TZ)  # an ordinary Wednesday


@pytest.fixture
def sink(app):
    server = Sink().start()
    app.config.update(NOTIFY_TRANSPORT="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=server.port,
                      SMTP_SENDER="canhbao@camau.example", SMTP_TIMEOUT=5)
    yield server
    server.stop()


@pytest.fixture
def clock():
    """The rest of the test on a frozen clock, from START (the SMTP sink's asyncio loop keeps
    real monotonic time, so its own timeouts behave)."""
    with freeze_time(START, real_asyncio=True) as frozen:
        yield frozen


def _breach_notices(clock, n: int = 1) -> list[Notification]:
    """n reports, then the clock just past their deadlines and a sweep: one notice each."""
    from caseapp.services.cases.deadlines import sweep
    submit(n)
    latest = max(db.session.scalars(db.select(Deadline.due_at)))
    clock.move_to(latest + timedelta(seconds=1))
    assert sweep() == n
    return list(db.session.scalars(db.select(Notification).order_by(Notification.id)))


def _subject(message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def test_a_breach_notice_reaches_the_supervisor_by_smtp(seeded, sink, clock):
    (row,) = _breach_notices(clock, 1)
    assert row.channel == "email" and row.recipient_address == "supervisor@camau.example"
    assert delivery.deliver(row.id) == "sent"
    db.session.refresh(row)
    assert (row.state, row.attempts, row.last_error) == ("sent", 1, None) and row.sent_at
    ((recipients, message),) = sink.messages
    assert recipients == ["supervisor@camau.example"]
    assert _subject(message) == row.subject and "Quá hạn" in row.subject
    assert message["Message-ID"] == f"<notification-{row.id}@camau.example>"
    assert row.body in message.get_content()


def test_a_sent_notice_is_never_sent_again(seeded, sink, clock):
    (row,) = _breach_notices(clock, 1)
    assert delivery.deliver(row.id) == "sent"
    assert delivery.deliver(row.id) == "skipped"
    assert len(sink.messages) == 1


def test_attempts_errors_and_the_final_state_are_recorded(seeded, app, clock):
    app.config["NOTIFY_MAX_ATTEMPTS"] = 3
    (row,) = _breach_notices(clock, 1)

    class Down:
        name = "down"

        def send(self, message):
            raise TransportError("gateway unreachable")

    assert [delivery.deliver(row.id, Down()) for _ in range(4)] == ["retry", "retry", "failed",
                                                                   "skipped"]
    db.session.refresh(row)
    assert (row.state, row.attempts, row.sent_at) == ("failed", 3, None)
    assert "gateway unreachable" in row.last_error


def test_a_permanent_failure_is_not_retried(seeded, sink, clock):
    (row,) = _breach_notices(clock, 1)
    row.recipient_address = None
    db.session.commit()
    assert delivery.deliver(row.id) == "failed"
    db.session.refresh(row)
    assert (row.state, row.attempts) == ("failed", 1) and "no e-mail address" in row.last_error
    assert sink.messages == []


def test_the_log_transport_is_the_default(seeded, app, caplog, monkeypatch, clock):
    assert channel_routes(app.config)["email"] == "log"
    (row,) = _breach_notices(clock, 1)
    # migrations/env.py's fileConfig() disables loggers that existed before the first upgrade
    monkeypatch.setattr(logging.getLogger("caseapp.notifications"), "disabled", False)
    with caplog.at_level(logging.INFO, logger="caseapp.notifications"):
        assert delivery.deliver(row.id) == "sent"
    assert row.subject in caplog.text


def test_a_gateway_plugs_in_through_the_registry(seeded, app, clock):
    received: list[OutgoingMessage] = []

    class Zalo:
        name = "zalo"

        def send(self, message):
            received.append(message)

    register_transport("zalo-test", lambda config: Zalo())
    app.config["NOTIFY_CHANNELS"] = "zalo=zalo-test"
    (row,) = _breach_notices(clock, 1)
    row.channel = "zalo"
    db.session.commit()
    assert delivery.deliver(row.id) == "sent"
    assert [m.notification_id for m in received] == [row.id]
    assert received[0].recipient_address == "supervisor@camau.example"


def test_urgent_reports_and_published_replies_reach_leader_and_reporter(seeded, users, sink):
    from caseapp.services.cases.tasks import complete
    (case,) = submit(1)

    def open_item():
        return db.session.scalars(db.select(WorkItem).where(WorkItem.case_id == case.id,
                                                            WorkItem.state == "open")).one()

    complete(users["operator"], open_item().id, {"action": "dispatch", "agency": "tnmt",
                                                 "urgent": True})
    complete(users["officer.tnmt"], open_item().id, {"action": "resolve",
                                                     "result": "Đã nạo vét cống, nước đã rút."})
    complete(users["operator"], open_item().id,
             {"public_response": "Cống đã được nạo vét, cảm ơn anh đã phản ánh."})
    rows = list(db.session.scalars(db.select(Notification).order_by(Notification.id)))
    assert [r.kind for r in rows] == ["urgent_report", "reply_published"]
    for row in rows:
        assert delivery.deliver(row.id) == "sent"
    assert [recipients for recipients, _ in sink.messages] == [["leader.tnmt@camau.example"],
                                                               ["dan@example.com"]]


def test_the_embedded_sweeper_drains_the_outbox_with_back_off(seeded, app, monkeypatch, clock):
    from timers.embedded import sweep_once
    (row,) = _breach_notices(clock, 1)
    calls = []

    class Flaky:
        name = "flaky"

        def send(self, message):
            calls.append(message.notification_id)
            if len(calls) == 1:
                raise TransportError("busy")

    monkeypatch.setattr(delivery, "transport_for", lambda channel, config: Flaky())
    app.config["NOTIFY_RETRY_SECONDS"] = [3600]
    sweep_once(app)
    sweep_once(app)  # within the back-off: not attempted again
    db.session.rollback()
    assert calls == [row.id] and db.session.get(Notification, row.id).state == "pending"
    app.config["NOTIFY_RETRY_SECONDS"] = [0]
    delivery._not_before.clear()
    sweep_once(app)
    db.session.rollback()
    row = db.session.get(Notification, row.id)
    assert (row.state, row.attempts) == ("sent", 2)
