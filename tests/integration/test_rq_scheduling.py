"""Deadlines on RQ: what is scheduled, under which id, when; early, cancelled and lost jobs."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from freezegun import freeze_time
from rq import Queue
from rq.job import Job
from rq.registry import ScheduledJobRegistry

from caseapp.extensions import db
from caseapp.calendar.days import LOCAL_TZ
from caseapp.models import Breach, Deadline, utcnow
from timers import jobs, scheduling
from timers.worker import Worker

from .rq_helpers import counts, redis_conn, rq_app, set_phase_seconds, submit  # noqa: F401

# Tests that move the clock around a due time run entirely on a frozen clock from this moment.
START = datetime(2026, 11, 25, 10, 0, tzinfo=LOCAL_TZ)  # an ordinary Wednesday


def _scheduled(conn):
    registry = ScheduledJobRegistry(scheduling.DEADLINE_QUEUE, connection=conn)
    return {job_id: registry.get_scheduled_time(job_id) for job_id in registry.get_job_ids()}


def _pending():
    return list(db.session.scalars(db.select(Deadline).where(Deadline.state == "pending")
                                   .order_by(Deadline.id)))


def _just_past(clock, rows) -> None:
    """Move the frozen clock to just after the latest of these rows' due times."""
    clock.move_to(max(row.due_at for row in rows) + timedelta(seconds=1))


def test_a_new_deadline_is_scheduled_once_at_its_due_time(rq_app, seeded, redis_conn):
    submit(1)
    (deadline,) = _pending()
    scheduled = _scheduled(redis_conn)
    job_id = scheduling.deadline_job_id(deadline.id, deadline.due_at)
    assert list(scheduled) == [job_id]
    at = scheduled[job_id]
    assert at.tzinfo is not None and at.utcoffset() == timedelta(0)
    # RQ keeps whole seconds: the job is due at the second the deadline falls in, never later
    assert at == deadline.due_at.astimezone(timezone.utc).replace(microsecond=0)
    # announcing the same rows again (a retried hook, a sweep) schedules nothing more
    assert scheduling.schedule_deadline_ids([deadline.id]) == 0
    assert scheduling.reschedule_lost_deadlines(redis_conn) == 0
    assert list(_scheduled(redis_conn)) == [job_id]
    job = Job.fetch(job_id, connection=redis_conn)
    assert job.func_name == scheduling.FIRE_JOB and job.args == (deadline.id,)


def test_a_moved_due_time_gets_its_own_job_and_the_old_one_does_nothing(rq_app, seeded, redis_conn):
    with freeze_time(START) as clock:
        submit(1)
        (deadline,) = _pending()
        old_id = scheduling.deadline_job_id(deadline.id, deadline.due_at)
        deadline.due_at = deadline.due_at + timedelta(hours=1)
        db.session.commit()
        assert scheduling.schedule_deadline_ids([deadline.id]) == 1
        assert set(_scheduled(redis_conn)) == {old_id,
                                               scheduling.deadline_job_id(deadline.id, deadline.due_at)}
        clock.move_to(deadline.due_at - timedelta(minutes=59))  # the old wake-up time
        result = jobs.fire_deadline_job(deadline.id)
        assert result["outcome"] == "early"
        assert db.session.get(Deadline, deadline.id).state == "pending"
        assert len(_scheduled(redis_conn)) == 2  # the new time's job was there already: no third one


def test_a_task_completed_early_cancels_the_row_and_its_job_is_a_no_op(rq_app, seeded, users,
                                                                      redis_conn):
    from caseapp.models import WorkItem
    from caseapp.services.cases.tasks import complete
    with freeze_time(START) as clock:
        submit(1)
        (deadline,) = _pending()
        item = db.session.scalars(db.select(WorkItem).where(WorkItem.state == "open")).one()
        complete(users["operator"], item.id, {"action": "dispatch", "agency": "tnmt"})
        assert db.session.get(Deadline, deadline.id).state == "cancelled"
        clock.move_to(deadline.due_at + timedelta(seconds=1))
        assert jobs.fire_deadline_job(deadline.id)["outcome"] == "noop"
        assert db.session.scalar(db.select(db.func.count(Breach.id))) == 0
        # the next phase's deadline was scheduled by the same after-commit hook
        handle_rows = [d for d in _pending() if d.phase == "handle"]
        assert handle_rows and all(scheduling.deadline_job_id(d.id, d.due_at) in _scheduled(redis_conn)
                                   for d in handle_rows)


def test_a_job_started_early_waits_for_the_due_time(rq_app, seeded, monkeypatch):
    with freeze_time(START) as frozen:
        submit(1)
        (deadline,) = _pending()
        frozen.move_to(deadline.due_at - timedelta(milliseconds=900))
        slept = []

        def fake_sleep(seconds):
            slept.append(seconds)
            frozen.tick(timedelta(seconds=seconds))

        monkeypatch.setattr(jobs.time, "sleep", fake_sleep)
        result = jobs.fire_deadline_job(deadline.id)
        assert result["outcome"] == "fired"
        assert slept and 0.85 <= slept[0] <= 0.95  # the lead, not a fixed pause
        row = db.session.get(Deadline, deadline.id)
        assert row.state == "fired" and row.fired_at >= row.due_at


def test_a_job_far_too_early_is_put_back_on_the_schedule(rq_app, seeded, redis_conn, monkeypatch):
    import rq
    with freeze_time(START) as clock:
        submit(1)
        (deadline,) = _pending()
        canonical = scheduling.deadline_job_id(deadline.id, deadline.due_at)
        monkeypatch.setattr(rq, "get_current_job", lambda: type("J", (), {"id": canonical})())
        clock.move_to(deadline.due_at - timedelta(minutes=10))  # e.g. this host's clock is behind
        assert jobs.fire_deadline_job(deadline.id)["outcome"] == "early"
        assert db.session.get(Deadline, deadline.id).state == "pending"
        extra = [job_id for job_id in _scheduled(redis_conn) if "-early" in job_id]
        assert len(extra) == 1


def test_duplicate_firing_jobs_fire_once(rq_app, seeded):
    with freeze_time(START) as clock:
        set_phase_seconds("dispatch", 1)
        submit(3)
        rows = _pending()
        _just_past(clock, rows)
        for row in rows * 3:
            jobs.fire_deadline_job(row.id)
        assert counts() == {"fired": 3, "pending": 0, "breaches": 3, "notifications": 3, "doubled": 0}


def test_the_sweep_reschedules_what_redis_lost_and_fires_what_is_due(rq_app, seeded, redis_conn):
    with freeze_time(START) as clock:
        set_phase_seconds("dispatch", 1)
        due_soon = submit(2)
        set_phase_seconds("dispatch", 3600)
        submit(3)
        rows = _pending()
        assert len(_scheduled(redis_conn)) == 5
        redis_conn.flushdb()
        _just_past(clock, [r for r in rows if r.case_id in {c.id for c in due_soon}])
        result = jobs.run_sweep(redis_conn)
        assert result["fired"] == 2
        later = [r for r in _pending()]
        assert len(later) == 3
        assert set(_scheduled(redis_conn)) == {scheduling.deadline_job_id(r.id, r.due_at) for r in later}
        # breach notifications whose jobs were lost are queued again, once
        notify_jobs = Queue(scheduling.NOTIFY_QUEUE, connection=redis_conn).job_ids
        assert len(notify_jobs) == 2
        assert jobs.run_sweep(redis_conn) == {"fired": 0, "rescheduled": 0, "requeued": 0}


def test_a_finished_job_with_a_still_pending_row_is_rescheduled(rq_app, seeded, redis_conn):
    submit(1)
    (deadline,) = _pending()
    job_id = scheduling.deadline_job_id(deadline.id, deadline.due_at)
    job = Job.fetch(job_id, connection=redis_conn)
    job.set_status("failed")
    assert scheduling.reschedule_lost_deadlines(redis_conn) == 1
    assert Job.fetch(job_id, connection=redis_conn).get_status() == "scheduled"


def test_one_sweep_job_per_time_bucket(rq_app, redis_conn):
    q = Queue(scheduling.SWEEP_QUEUE, connection=redis_conn)
    t0 = 1_800_000_000.0
    assert scheduling.ensure_sweep(redis_conn, 60, at=t0) is True
    assert scheduling.ensure_sweep(redis_conn, 60, at=t0 + 30) is False  # same bucket, other worker
    assert scheduling.ensure_sweep(redis_conn, 60, at=t0 + 61) is True
    assert q.job_ids == [scheduling.sweep_job_id(30_000_000), scheduling.sweep_job_id(30_000_001)]


def test_a_burst_worker_with_the_scheduler_fires_due_deadlines(rq_app, seeded, redis_conn):
    from caseapp.models import Notification
    with freeze_time(START) as clock:
        set_phase_seconds("dispatch", 1)
        submit(2)
        _just_past(clock, _pending())
        db.session.commit()
        worker = Worker(app=rq_app, connection=redis_conn)
        worker.work(burst=True, with_scheduler=True)
        assert counts() == {"fired": 2, "pending": 0, "breaches": 2, "notifications": 2, "doubled": 0}
        states = set(db.session.scalars(db.select(Notification.state)))
        assert states == {"sent"}  # the breach notices were delivered by the same worker run


def test_web_processes_do_no_deadline_work_with_redis(rq_app):
    from timers.embedded import start_sweeper
    rq_app.testing = False
    try:
        assert start_sweeper(rq_app) is None
    finally:
        rq_app.testing = True
    assert "deadline_sweeper" not in rq_app.extensions


def test_naive_datetimes_are_refused(rq_app, redis_conn):
    with pytest.raises(ValueError):
        scheduling.schedule_deadline(redis_conn, 1, utcnow().replace(tzinfo=None))
