"""Where a bulk move of cases to a newer process version runs: an RQ job with Redis, else a
thread of this process with its own app context (like the embedded sweeper)."""
from __future__ import annotations

import logging
import threading

from flask import Flask

log = logging.getLogger(__name__)

MOVE_JOB = "timers.moves.move_run_job"
MOVE_TIMEOUT = 6 * 3600  # thousands of cases, one transaction each


def move_run_job(run_id: int, case_codes=None) -> dict:
    """The RQ job (inside the worker's app context): work the run through."""
    from caseapp.services.cases.move_runs import execute_run, run_summary
    execute_run(run_id, case_codes)
    return run_summary(run_id)


def _in_context(app: Flask, run_id: int, case_codes) -> None:
    from caseapp.extensions import db
    with app.app_context():
        try:
            move_run_job(run_id, case_codes)
        except Exception:
            log.exception("move run %s failed", run_id)
            _mark_done(run_id)
        finally:
            db.session.remove()


def _mark_done(run_id: int) -> None:
    """A run that broke off is closed, so its progress display stops waiting."""
    from caseapp.services.cases.move_runs import close_run
    close_run(run_id)


def start_run(app: Flask, run_id: int, case_codes=None) -> threading.Thread | None:
    """Start a queued run in the background; the thread when it runs in this process."""
    if app.config.get("REDIS_URL"):
        from .scheduling import DEADLINE_QUEUE, queue, redis_connection
        try:
            queue(redis_connection(app), DEADLINE_QUEUE).enqueue(
                MOVE_JOB, run_id, case_codes, job_id=f"process-move-{run_id}",
                job_timeout=MOVE_TIMEOUT, result_ttl=24 * 3600, failure_ttl=7 * 24 * 3600,
                description=f"move cases (run {run_id})")
            return None
        except Exception:  # Redis down: the move still happens, here
            log.exception("move run %s could not be queued on RQ; running it in-process", run_id)
    thread = threading.Thread(target=_in_context, args=(app, run_id, case_codes),
                              name=f"process-move-{run_id}", daemon=True)
    thread.start()
    return thread
