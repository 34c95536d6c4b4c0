"""Fault tests on real PostgreSQL and Redis with real worker processes (`python -m timers.worker`).

Each test waits for workers with bounded polls and kills every process group it started."""
from __future__ import annotations

import socket
import threading

import pytest
from rq import Queue
from rq.registry import ScheduledJobRegistry
from sqlalchemy import text

from caseapp.extensions import db
from caseapp.models import Deadline, Notification
from caseapp.services.delivery import hooks
from timers import scheduling

from .rq_helpers import counts, redis_conn, rq_app, rq_worker_registered  # noqa: F401
from .rq_helpers import set_phase_seconds, submit, wait_until, wait_until_due  # noqa: F401
from .rq_helpers import workers  # noqa: F401

pytestmark = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)


def _pending_rows():
    db.session.rollback()
    rows = list(db.session.scalars(db.select(Deadline).where(Deadline.state == "pending")))
    db.session.rollback()
    return rows


def _all_sent(expected: int):
    db.session.rollback()
    states = list(db.session.scalars(db.select(Notification.state)))
    db.session.rollback()
    return len(states) == expected and set(states) == {"sent"}


def _once(expected: int) -> dict:
    return {"fired": expected, "pending": 0, "breaches": expected, "notifications": expected,
            "doubled": 0}


def _attempts() -> list[int]:
    db.session.rollback()
    values = list(db.session.scalars(db.select(Notification.attempts)))
    db.session.rollback()
    return values


def test_a_worker_killed_while_firing_still_fires_once(rq_app, seeded, redis_conn, workers):
    set_phase_seconds("dispatch", 1)
    (case,) = submit(1)
    wait_until_due(_pending_rows())
    # Hold the case's row lock so the worker blocks inside fire_deadline, mid-transaction.
    blocker = db.engine.connect()
    blocking = blocker.begin()
    blocker.execute(text("SELECT id FROM case_file WHERE id = :id FOR UPDATE"), {"id": case.id})
    try:
        victim = workers.start("victim")

        def worker_waits_on_the_lock():
            with db.engine.connect() as probe:
                return probe.execute(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'")).scalar()

        wait_until(worker_waits_on_the_lock, timeout=30, message="the worker to block while firing")
        workers.kill(victim)  # SIGKILL to the worker and its scheduler, transaction still open
    finally:
        blocking.rollback()
        blocker.close()
    assert counts()["fired"] == 0
    workers.start("rescuer")
    wait_until(lambda: counts()["fired"] == 1, timeout=30, message="the deadline to fire")
    wait_until(lambda: _all_sent(1), timeout=30, message="the breach notice to be sent")
    assert counts() == _once(1)
    assert _attempts() == [1]


def test_flushall_with_100_pending_deadlines_all_fire_once(rq_app, seeded, redis_conn, workers):
    worker = workers.start("w1")
    wait_until(lambda: rq_worker_registered(redis_conn), timeout=30, message="the worker to start")
    set_phase_seconds("dispatch", 8)
    submit(100)
    registry = ScheduledJobRegistry(scheduling.DEADLINE_QUEUE, connection=redis_conn)
    assert registry.count == 100
    redis_conn.flushdb()  # FLUSHALL, limited to the test database
    assert registry.count == 0
    wait_until(lambda: counts()["fired"] == 100, timeout=60, message="100 deadlines to fire")
    wait_until(lambda: _all_sent(100), timeout=60, message="100 notices to be sent")
    assert counts() == _once(100)
    assert set(_attempts()) == {1}
    assert worker.poll() is None  # the worker survived the flush


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_redis_down_while_reports_are_submitted(app, seeded, redis_conn, workers):
    down_url = f"redis://127.0.0.1:{_closed_port()}/0"
    app.config["REDIS_URL"] = down_url
    app.extensions.pop("casebridge_redis", None)
    hooks.clear()
    scheduling.register(app)
    try:
        set_phase_seconds("dispatch", 6)
        cases = submit(5)  # every submission succeeds although Redis is unreachable
        assert len(cases) == 5 and len(_pending_rows()) == 5
        response = app.test_client().get("/healthz")
        assert response.status_code == 503 and "rq unreachable" in response.get_json()["timers"]
    finally:
        hooks.clear()
        app.extensions.pop("casebridge_redis", None)
    assert redis_conn.dbsize() == 0  # nothing reached the real Redis
    workers.start("after-outage")  # Redis is back: the worker's sweep schedules what was missed
    wait_until(lambda: counts()["fired"] == 5, timeout=60, message="5 deadlines to fire")
    wait_until(lambda: _all_sent(5), timeout=30, message="5 notices to be sent")
    assert counts() == _once(5)


def test_two_workers_and_two_sweeps_racing_have_one_effect_each(rq_app, seeded, redis_conn, workers):
    set_phase_seconds("dispatch", 1)
    submit(60)
    rows = _pending_rows()
    wait_until_due(rows)
    deadlines = Queue(scheduling.DEADLINE_QUEUE, connection=redis_conn)
    sweeps = Queue(scheduling.SWEEP_QUEUE, connection=redis_conn)
    for row in rows:  # duplicate wake-ups on top of the scheduled ones
        for copy in ("a", "b"):
            deadlines.enqueue(scheduling.FIRE_JOB, row.id, job_id=f"dup-{copy}-{row.id}")
    for name in ("x", "y"):
        sweeps.enqueue(scheduling.SWEEP_JOB, job_id=f"sweep-race-{name}")
    first = workers.start("racer-1", burst=True)
    second = workers.start("racer-2", burst=True)
    workers.wait(first, timeout=90)
    workers.wait(second, timeout=90)
    assert counts() == _once(60)
    wait_until(lambda: _all_sent(60), timeout=30, message="60 notices to be sent")
    assert set(_attempts()) == {1}


def test_concurrent_sweeps_and_fires_in_threads_have_one_effect_each(rq_app, seeded):
    from caseapp.services.cases.deadlines import drain_due
    from caseapp.services.cases.deadlines import fire_deadline, sweep
    set_phase_seconds("dispatch", 1)
    submit(20)
    ids = [row.id for row in _pending_rows()]
    wait_until_due(_pending_rows())
    barrier = threading.Barrier(4)
    errors = []

    def run(work):
        try:
            with rq_app.app_context():
                barrier.wait(timeout=10)
                work()
                db.session.remove()
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(work,)) for work in (
        sweep, sweep, lambda: [fire_deadline(i) for i in ids], lambda: drain_due(30))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert counts() == _once(20)
