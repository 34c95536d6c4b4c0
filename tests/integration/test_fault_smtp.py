"""The SMTP server is down: notices are retried by RQ with back-off, then delivered once it is back;
none lost, none doubled. Real Redis, RQ's scheduler for the retry intervals, a local aiosmtpd sink."""
from __future__ import annotations

from datetime import datetime, timedelta

from freezegun import freeze_time
from rq import Queue
from rq.job import Job

from caseapp.calendar.days import LOCAL_TZ
from caseapp.extensions import db
from caseapp.models import Deadline, Notification
from timers import scheduling
from timers.worker import Worker

from .rq_helpers import Sink, redis_conn, rq_app, submit  # noqa: F401

START = datetime(2026, 11, 25, 10, 0, tzinfo=LOCAL_TZ)  # an ordinary Wednesday
BACK_OFF = 1  # seconds between delivery attempts (NOTIFY_RETRY_SECONDS)


def _rows():
    db.session.rollback()
    rows = list(db.session.scalars(db.select(Notification).order_by(Notification.id)))
    db.session.rollback()
    return rows


def test_smtp_down_then_back_every_notice_is_delivered_once(rq_app, seeded, redis_conn):
    from caseapp.services.cases.deadlines import drain_due
    sink = Sink()  # not started yet: connections to its port are refused
    rq_app.config.update(NOTIFY_TRANSPORT="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=sink.port,
                         SMTP_TIMEOUT=2, NOTIFY_MAX_ATTEMPTS=20, NOTIFY_RETRY_SECONDS=[BACK_OFF])
    # The whole test on a frozen clock: RQ's back-off passes when the test moves the clock on
    # (the sink's asyncio loop keeps real monotonic time, so its own timeouts behave).
    with freeze_time(START, real_asyncio=True) as clock:
        submit(4)
        latest = max(db.session.scalars(db.select(Deadline.due_at)))
        clock.move_to(latest + timedelta(seconds=1))
        assert drain_due(10).fired == 4  # the breach notices are queued on RQ after commit
        rows = _rows()
        assert len(rows) == 4
        assert len(Queue(scheduling.NOTIFY_QUEUE, connection=redis_conn)) == 4

        def run_worker():
            Worker(app=rq_app, connection=redis_conn).work(burst=True, with_scheduler=True)

        run_worker()
        rows = _rows()
        assert {r.state for r in rows} == {"pending"} and {r.attempts for r in rows} == {1}
        assert all("Connection refused" in r.last_error or "ConnectionRefused" in r.last_error
                   for r in rows)
        for row in rows:  # RQ holds each one for a retry after the back-off interval
            assert Job.fetch(scheduling.notify_job_id(row.id), connection=redis_conn).get_status() \
                == "scheduled"

        run_worker()  # still down and not yet due for retry: nothing is lost, nothing is tried
        assert {(r.state, r.attempts) for r in _rows()} == {("pending", 1)}
        clock.tick(timedelta(seconds=BACK_OFF + 1))
        run_worker()  # due for retry and still down: tried again, still nothing lost
        assert {(r.state, r.attempts) for r in _rows()} == {("pending", 2)}

        sink.start()
        try:
            clock.tick(timedelta(seconds=BACK_OFF + 1))
            run_worker()  # due again, and the server is back
            rows = _rows()
            assert {r.state for r in rows} == {"sent"}
            assert all(r.attempts >= 2 and r.last_error is None and r.sent_at for r in rows)
            ids = sorted(message["Message-ID"] for _, message in sink.messages)
            assert ids == sorted(f"<notification-{r.id}@localhost>" for r in rows)  # once each
            clock.tick(timedelta(seconds=BACK_OFF + 1))
            run_worker()  # nothing left to do, nothing sent twice
            assert len(sink.messages) == 4
        finally:
            sink.stop()
