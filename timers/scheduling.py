"""Deadlines and notifications on RQ: the wake-up calls. The database stays the truth.

Job ids (so nothing is scheduled twice; RQ 3.0's `unique=True` makes "create if absent" atomic):
- `deadline-<deadline id>-<due, epoch ms>`: one per deadline row and due time, scheduled with
  `enqueue_at(due_at)` (aware UTC). A recomputed due time gets a new id; the old job then finds
  the row not yet due (or fired, or cancelled) and does nothing.
- `notify-<notification id>`: one delivery job per outbox row, with RQ retries and back-off.
- `sweep-<bucket>`: the periodic sweep, bucket = floor(epoch seconds / RQ_SWEEP_SECONDS). Every
  worker enqueues the current bucket's sweep itself (timers.worker), so sweeps keep running when
  Redis was flushed or the RQ scheduler process was killed.
"""
from __future__ import annotations

import logging
import time
from datetime import datetime, timezone

from flask import Flask, current_app
from redis import Redis
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError
from rq.job import Job, JobStatus

log = logging.getLogger(__name__)

SWEEP_QUEUE = "casebridge-sweep"
DEADLINE_QUEUE = "casebridge-deadlines"
NOTIFY_QUEUE = "casebridge-notifications"
QUEUE_NAMES = (SWEEP_QUEUE, DEADLINE_QUEUE, NOTIFY_QUEUE)  # a worker's priority order

FIRE_JOB = "timers.jobs.fire_deadline_job"
SWEEP_JOB = "timers.jobs.sweep_job"
DELIVER_JOB = "timers.jobs.deliver_notification_job"

FIRE_TIMEOUT = 300          # a firing job may drain a burst of due deadlines (see timers.jobs)
SWEEP_TIMEOUT = 600
DELIVER_TIMEOUT = 120
LIVE_STATUSES = {s.value for s in (JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.STARTED,
                                    JobStatus.DEFERRED)}  # as stored in the job hash
CHUNK = 1000


# -- connections and queues ------------------------------------------------------------------------

def redis_connection(app: Flask) -> Redis:
    """One Redis client per app (its pool is per process). Short timeouts: a web request that
    announces a new deadline must not hang on an unreachable Redis."""
    conn = app.extensions.get("casebridge_redis")
    if conn is None:
        conn = Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=3, socket_timeout=10,
                              health_check_interval=30)
        app.extensions["casebridge_redis"] = conn
    return conn


def queue(conn: Redis, name: str) -> Queue:
    return Queue(name, connection=conn)


def _conn() -> Redis:
    return redis_connection(current_app._get_current_object())


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: RQ would read it as local time")
    return moment.astimezone(timezone.utc)


# -- deadlines ------------------------------------------------------------------------------------

def deadline_job_id(deadline_id: int, due_at: datetime, suffix: str = "") -> str:
    millis = int(round(_as_utc(due_at).timestamp() * 1000))
    return f"deadline-{deadline_id}-{millis}{suffix}"


def schedule_deadline(conn: Redis, deadline_id: int, due_at: datetime, suffix: str = "") -> bool:
    """Schedule the firing job at due_at (once per deadline and due time); True if newly scheduled."""
    try:
        queue(conn, DEADLINE_QUEUE).enqueue_at(
            _as_utc(due_at), FIRE_JOB, deadline_id, job_id=deadline_job_id(deadline_id, due_at, suffix),
            job_timeout=FIRE_TIMEOUT, result_ttl=3600, failure_ttl=7 * 24 * 3600, unique=True,
            description=f"fire deadline {deadline_id}")
        return True
    except DuplicateJobError:
        return False


def schedule_deadline_ids(ids) -> int:
    """After-commit listener: schedule the pending rows among these deadline ids."""
    from caseapp.services.cases.deadlines import pending_due_times
    ids = list(ids)
    if not ids:
        return 0
    rows = pending_due_times(ids)
    conn = _conn()
    return sum(1 for deadline_id, due_at in rows if schedule_deadline(conn, deadline_id, due_at))


def _job_statuses(conn: Redis, job_ids: list[str]) -> list[str | None]:
    with conn.pipeline(transaction=False) as pipe:
        for job_id in job_ids:
            pipe.hget(Job.key_for(job_id), "status")
        raw = pipe.execute()
    return [value.decode() if isinstance(value, bytes) else value for value in raw]


def _forget_job(conn: Redis, job_id: str) -> None:
    try:
        Job.fetch(job_id, connection=conn).delete()
    except Exception:  # already gone, or not readable: overwrite it anyway
        conn.delete(Job.key_for(job_id))


def reschedule_lost_deadlines(conn: Redis, now: datetime | None = None) -> int:
    """Give every pending deadline whose job Redis lost (flushed, evicted, finished or failed
    early) its job again; returns how many were rescheduled."""
    from caseapp.services.cases.deadlines import pending_after
    now = now or datetime.now(timezone.utc)
    rescheduled, last_id = 0, 0
    while True:
        rows = pending_after(last_id, CHUNK)
        if not rows:
            return rescheduled
        last_id = rows[-1][0]
        job_ids = [deadline_job_id(deadline_id, due_at) for deadline_id, due_at in rows]
        for (deadline_id, due_at), job_id, status in zip(rows, job_ids, _job_statuses(conn, job_ids)):
            if status in LIVE_STATUSES:
                continue
            if status is not None:
                _forget_job(conn, job_id)  # finished/failed/stopped/canceled yet the row is pending
            if schedule_deadline(conn, deadline_id, due_at):
                rescheduled += 1
        if rescheduled:
            log.info("rescheduled %d deadline job(s) that Redis no longer had", rescheduled)


# -- notifications ----------------------------------------------------------------------------------

def notify_job_id(notification_id: int) -> str:
    return f"notify-{notification_id}"


def _retry(config) -> Retry | None:
    max_attempts = max(1, int(config.get("NOTIFY_MAX_ATTEMPTS") or 1))
    if max_attempts < 2:
        return None
    return Retry(max=max_attempts - 1, interval=list(config.get("NOTIFY_RETRY_SECONDS") or [0]))


def enqueue_notification(conn: Redis, notification_id: int, config) -> bool:
    """One delivery job per outbox row; RQ retries it with back-off. True if newly enqueued."""
    try:
        queue(conn, NOTIFY_QUEUE).enqueue(
            DELIVER_JOB, notification_id, job_id=notify_job_id(notification_id),
            retry=_retry(config), job_timeout=DELIVER_TIMEOUT, result_ttl=3600,
            failure_ttl=7 * 24 * 3600, unique=True, description=f"deliver notification {notification_id}")
        return True
    except DuplicateJobError:
        return False


def enqueue_notification_ids(ids) -> int:
    """After-commit listener for new outbox rows: their jobs, in one round trip.

    The rows are new, so they have no job yet; should a sweep enqueue one at the same moment,
    the second job finds the row already claimed or sent (services.delivery) and does nothing."""
    ids = list(dict.fromkeys(ids))
    if not ids:
        return 0
    conn, config = _conn(), current_app.config
    retry = _retry(config)
    queue(conn, NOTIFY_QUEUE).enqueue_many([
        Queue.prepare_data(DELIVER_JOB, (notification_id,), job_id=notify_job_id(notification_id),
                           retry=retry, timeout=DELIVER_TIMEOUT, result_ttl=3600,
                           failure_ttl=7 * 24 * 3600,
                           description=f"deliver notification {notification_id}")
        for notification_id in ids])
    return len(ids)


def requeue_lost_notifications(conn: Redis) -> int:
    """Pending outbox rows without a live job (flushed, or RQ gave up before the row's own attempt
    limit) get a job again."""
    from caseapp.services.delivery.outbox import pending_ids
    from caseapp.extensions import db
    requeued, last_id, config = 0, 0, current_app.config
    while True:
        ids = pending_ids(CHUNK, after_id=last_id)
        db.session.rollback()
        if not ids:
            return requeued
        last_id = ids[-1]
        job_ids = [notify_job_id(i) for i in ids]
        for notification_id, job_id, status in zip(ids, job_ids, _job_statuses(conn, job_ids)):
            if status in LIVE_STATUSES:
                continue
            if status is not None:
                _forget_job(conn, job_id)
            if enqueue_notification(conn, notification_id, config):
                requeued += 1


# -- the periodic sweep ---------------------------------------------------------------------------

def sweep_bucket(interval: int, at: float | None = None) -> int:
    return int((time.time() if at is None else at) // max(1, interval))


def sweep_job_id(bucket: int) -> str:
    return f"sweep-{bucket}"


def ensure_sweep(conn: Redis, interval: int, at: float | None = None) -> bool:
    """Enqueue this time bucket's sweep unless some worker already did; True if this call did.

    The job id is the bucket, so any number of workers calling this enqueue one sweep per bucket;
    it is enqueued directly (not through the RQ scheduler), so it needs no scheduler lock."""
    bucket = sweep_bucket(interval, at)
    ttl = max(int(interval), 1) + 60  # the finished job must outlive its bucket to keep it unique
    try:
        queue(conn, SWEEP_QUEUE).enqueue(
            SWEEP_JOB, job_id=sweep_job_id(bucket), job_timeout=SWEEP_TIMEOUT, result_ttl=ttl,
            failure_ttl=ttl, ttl=ttl, unique=True, description=f"deadline sweep {bucket}")
        return True
    except DuplicateJobError:
        return False


# -- wiring -----------------------------------------------------------------------------------------

def register(app: Flask) -> None:
    """With REDIS_URL set: new or moved deadlines and new outbox rows go to RQ after commit."""
    from caseapp.services.delivery import hooks
    hooks.on_deadlines_changed(schedule_deadline_ids)
    hooks.on_notifications_created(enqueue_notification_ids)
    app.extensions["casebridge_rq"] = {"queues": QUEUE_NAMES}
