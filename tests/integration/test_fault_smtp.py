"""The SMTP server is down: notices are retried by RQ with back-off, then delivered once it is back;
none lost, none doubled. Real Redis, RQ's scheduler for the retry intervals, a local aiosmtpd sink."""
from __future__ import annotations

from datetime import timedelta

from freezegun import freeze_time
from rq import Queue
from rq.job import Job

from caseapp.extensions import db
from caseapp.models import Deadline, Notification
from timers import scheduling
from timers.worker import Worker

from .rq_helpers import Sink, redis_conn, rq_app, submit, wait_until  # noqa: F401


def _rows():
    db.session.rollback()
    rows = list(db.session.scalars(db.select(Notification).order_by(Notification.id)))
    db.session.rollback()
    return rows


def test_smtp_down_then_back_every_notice_is_delivered_once(rq_app, seeded, redis_conn):
    from caseapp.services.cases.deadline_batches import drain_due
    sink = Sink()  # not started yet: connections to its port are refused
    rq_app.config.update(NOTIFY_TRANSPORT="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=sink.port,
                         SMTP_TIMEOUT=2, NOTIFY_MAX_ATTEMPTS=20, NOTIFY_RETRY_SECONDS=[1])
    submit(4)
    latest = max(db.session.scalars(db.select(Deadline.due_at)))
    with freeze_time(latest + timedelta(seconds=1)):
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

    run_worker()  # still down (and maybe not yet due for retry): nothing is lost
    assert {r.state for r in _rows()} == {"pending"}

    sink.start()
    try:
        def all_sent():
            run_worker()
            return {r.state for r in _rows()} == {"sent"}

        wait_until(all_sent, timeout=30, interval=0.3, message="every notice to be delivered")
        rows = _rows()
        assert all(r.attempts >= 2 and r.last_error is None and r.sent_at for r in rows)
        ids = sorted(message["Message-ID"] for _, message in sink.messages)
        assert ids == sorted(f"<notification-{r.id}@localhost>" for r in rows)  # once each
        run_worker()  # nothing left to do, nothing sent twice
        assert len(sink.messages) == 4
    finally:
        sink.stop()
