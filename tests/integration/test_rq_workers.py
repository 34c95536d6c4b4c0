"""Real worker processes: on-time firing with idle workers, catching up at start-up."""
from __future__ import annotations

import time

import pytest

from caseapp.extensions import db
from caseapp.models import Deadline

from .rq_helpers import counts, redis_conn, rq_app, rq_worker_registered  # noqa: F401
from .rq_helpers import set_phase_seconds, submit, wait_until, wait_until_due  # noqa: F401
from .rq_helpers import workers  # noqa: F401

pytestmark = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)


def _fired_rows():
    db.session.rollback()
    rows = list(db.session.scalars(db.select(Deadline).where(Deadline.state == "fired")))
    db.session.rollback()
    return rows


def test_deadlines_fire_within_two_seconds_of_their_due_time(rq_app, seeded, redis_conn, workers):
    workers.start("idle-1")
    workers.start("idle-2")
    wait_until(lambda: rq_worker_registered(redis_conn, 2), timeout=30, message="two idle workers")
    set_phase_seconds("dispatch", 3)
    submit(5)
    wait_until(lambda: len(_fired_rows()) == 5, timeout=30, message="5 deadlines to fire")
    lags = sorted((row.fired_at - row.due_at).total_seconds() for row in _fired_rows())
    assert lags[0] > 0, "never early"
    assert lags[-1] <= 2.0, f"lags {lags}"
    assert counts()["breaches"] == 5


def test_deadlines_that_fell_due_with_no_worker_fire_when_one_starts(rq_app, seeded, redis_conn,
                                                                  workers):
    set_phase_seconds("dispatch", 1)
    submit(3)
    wait_until_due(list(db.session.scalars(db.select(Deadline))))
    redis_conn.flushdb()  # and Redis lost their jobs meanwhile
    started = time.monotonic()
    # no jobs left and an hour between sweeps: only what a worker does at start-up fires them
    workers.start("late", env={"RQ_SWEEP_SECONDS": "3600"})
    wait_until(lambda: len(_fired_rows()) == 3, timeout=30, message="the overdue deadlines to fire")
    assert time.monotonic() - started < 30
    assert counts()["breaches"] == 3
