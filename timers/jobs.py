"""The RQ jobs. They run inside an app context (timers.worker.Worker provides it) and are safe to
run twice, concurrently, late or early: the database rows decide what happens."""
from __future__ import annotations

import logging
import time
from datetime import datetime, timezone

from flask import current_app

log = logging.getLogger(__name__)

MAX_EARLY_WAIT = 5.0      # RQ stores due times rounded down to the second: wait out a short lead
DRAIN_SECONDS = 60.0      # after its own deadline, a firing job fires other due ones for this long


class DeliveryRetry(Exception):
    """Raised to have RQ retry a delivery with back-off (the row already recorded the attempt)."""


def fire_deadline_job(deadline_id: int) -> dict:
    """Fire one deadline when it is due, then help drain any other due deadlines in batches."""
    from caseapp.services.cases.deadlines import drain_due, fire_deadline, pending_due_at
    due_at = pending_due_at(deadline_id)
    if due_at is None:
        return {"deadline": deadline_id, "outcome": "noop", "drained": 0}
    lead = (due_at - datetime.now(timezone.utc)).total_seconds()
    if lead > MAX_EARLY_WAIT:
        # The due time moved later (recomputed), or clocks disagree: wake up at the row's due time.
        # The job for that time normally exists already (the after-commit hook made it); only if
        # this job is that very job does it need a second wake-up under another id.
        from rq import get_current_job
        from . import scheduling
        current = get_current_job()
        suffix = ""
        if current is not None and current.id == scheduling.deadline_job_id(deadline_id, due_at):
            suffix = f"-early{int(time.time())}"
        scheduling.schedule_deadline(scheduling.redis_connection(current_app._get_current_object()),
                                     deadline_id, due_at, suffix=suffix)
        return {"deadline": deadline_id, "outcome": "early", "drained": 0}
    if lead >= 0:
        time.sleep(lead + 0.002)  # the engine fires a timer strictly after its due moment
    fired = fire_deadline(deadline_id)
    drained = drain_due(DRAIN_SECONDS)
    return {"deadline": deadline_id, "outcome": "fired" if fired else "not-fired",
            "drained": drained.fired}


def sweep_job() -> dict:
    """The periodic sweep: fire everything due, give lost rows their jobs back."""
    from . import scheduling
    return run_sweep(scheduling.redis_connection(current_app._get_current_object()))


def run_sweep(conn, drain_seconds: float = 300.0) -> dict:
    from caseapp.services.cases.deadlines import drain_due
    from . import scheduling
    drained = drain_due(drain_seconds)
    rescheduled = scheduling.reschedule_lost_deadlines(conn)
    requeued = scheduling.requeue_lost_notifications(conn)
    result = {"fired": drained.fired, "rescheduled": rescheduled, "requeued": requeued}
    if drained.fired or rescheduled or requeued:
        log.info("sweep: %s", result)
    return result


def deliver_notification_job(notification_id: int) -> str:
    """One delivery attempt; a temporary failure raises so that RQ retries with back-off."""
    from caseapp.services.delivery.outbox import RETRY, deliver
    outcome = deliver(notification_id)
    if outcome == RETRY:
        raise DeliveryRetry(f"notification {notification_id}: delivery failed, retrying later")
    return outcome
