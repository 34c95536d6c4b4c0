"""`python -m timers.worker` (what `make worker` runs): an RQ worker with the scheduler, for deadlines
and notifications, with the Flask app configured.

The worker class creates the app once and runs every job inside `app.app_context()`. It does not
fork per job (it is an `rq.SimpleWorker`), so the SQLAlchemy pool is never shared with a job
process; RQ's scheduler does run in a forked child, which gets its own pool (see `_after_fork`).

Beyond a plain RQ worker it:
- sweeps once at start-up (deadlines that fell due while no worker ran fire at once, and rows whose
  jobs Redis lost are rescheduled);
- enqueues the current time bucket's sweep job at least once per bucket while it waits for jobs
  (`scheduling.ensure_sweep`), independently of the RQ scheduler's lock, so that sweeps survive a
  FLUSHALL and a SIGKILLed scheduler;
- checks the scheduler lock every RQ_MAINTENANCE_SECONDS (RQ's default is ten minutes), so a worker
  takes over scheduling soon after another one died.

Also usable as `rq worker -w timers.worker.Worker --with-scheduler casebridge-sweep
casebridge-deadlines casebridge-notifications`.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import time

from rq import SimpleWorker

from . import scheduling

log = logging.getLogger(__name__)

TICK_SECONDS = 1  # how often an idle worker wakes up to check the sweep bucket
_apps: list = []


def _after_fork() -> None:
    """A forked child (RQ's scheduler process) must not use the parent's pooled DB connections."""
    from caseapp.extensions import db
    for app in _apps:
        try:
            with app.app_context():
                db.engine.dispose(close=False)
        except Exception:  # never let cleanup break the child
            pass


os.register_at_fork(after_in_child=_after_fork)


class Worker(SimpleWorker):
    """A non-forking RQ worker that owns a Flask app and keeps the sweep going."""

    def __init__(self, queues=None, *args, app=None, **kwargs):
        if app is None:
            from caseapp import create_app
            app = create_app()
        if not app.config.get("REDIS_URL"):
            raise RuntimeError("REDIS_URL is not set: without Redis the web process sweeps in-process")
        self.app = app
        if app not in _apps:
            _apps.append(app)
        connection = kwargs.pop("connection", None) or scheduling.redis_connection(app)
        if kwargs.get("maintenance_interval") in (None, 600):  # 600: RQ's default, also the CLI's
            kwargs["maintenance_interval"] = int(app.config.get("RQ_MAINTENANCE_SECONDS") or 30)
        queues = queues or list(scheduling.QUEUE_NAMES)
        super().__init__(queues, *args, connection=connection, **kwargs)
        self.sweep_seconds = max(1, int(app.config.get("RQ_SWEEP_SECONDS") or 60))
        self._swept_bucket: int | None = None

    # -- jobs run inside the app ----------------------------------------------------------------

    def execute_job(self, job, queue):
        from caseapp.extensions import db
        with self.app.app_context():
            try:
                return super().execute_job(job, queue)
            finally:
                db.session.remove()

    def run_maintenance_tasks(self):
        """RQ's maintenance, plus the personal data retention purge (at most hourly)."""
        super().run_maintenance_tasks()
        from .retention import purge_if_due
        purge_if_due(self.app)
        from .figures import rollup_if_due
        rollup_if_due(self.app)  # the dashboard's daily rollup (checked every 10 minutes)

    # -- start-up sweep -------------------------------------------------------------------------

    def bootstrap(self, *args, **kwargs):
        super().bootstrap(*args, **kwargs)
        self.startup_sweep()

    def startup_sweep(self) -> dict | None:
        from caseapp.extensions import db
        from .jobs import run_sweep
        with self.app.app_context():
            try:
                result = run_sweep(self.connection)
                self.log.info("Worker %s: start-up sweep %s", self.name, result)
                return result
            except Exception:
                self.log.exception("Worker %s: start-up sweep failed; the periodic sweep retries",
                                   self.name)
                return None
            finally:
                db.session.remove()

    # -- the sweep bucket, checked while waiting for jobs -------------------------------------------

    def tick(self) -> None:
        bucket = scheduling.sweep_bucket(self.sweep_seconds)
        if bucket == self._swept_bucket:
            return
        try:
            scheduling.ensure_sweep(self.connection, self.sweep_seconds)
            self._swept_bucket = bucket
        except Exception as exc:  # Redis unreachable: RQ's own loop reports and retries
            self.log.warning("Worker %s: could not enqueue the sweep: %s", self.name, exc)

    def dequeue_job_and_maintain_ttl(self, timeout, max_idle_time=None):
        if timeout is None:  # burst mode: one look at the queues
            self.tick()
            return super().dequeue_job_and_maintain_ttl(timeout, max_idle_time)
        idle_until = None if max_idle_time is None else time.monotonic() + max_idle_time
        while True:
            self.tick()
            result = super().dequeue_job_and_maintain_ttl(TICK_SECONDS, max_idle_time=TICK_SECONDS)
            if result is not None or self._stop_requested:
                return result
            if idle_until is not None and time.monotonic() >= idle_until:
                return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m timers.worker", description=__doc__.split("\n")[0])
    parser.add_argument("--burst", action="store_true", help="run what is queued (and due), then exit")
    parser.add_argument("--name", default=None, help="worker name (default: random)")
    parser.add_argument("--no-scheduler", action="store_true",
                        help="do not run RQ's scheduler in this worker")
    parser.add_argument("--logging-level", default="INFO")
    args = parser.parse_args(argv)
    from caseapp import create_app
    app = create_app()
    logging.getLogger("spiff").setLevel(logging.WARNING)  # one INFO line per task state change
    if not app.config.get("REDIS_URL"):
        print("REDIS_URL is not set; without Redis, `make run` sweeps deadlines in-process.",
              file=sys.stderr)
        return 2
    worker = Worker(app=app, name=args.name)
    worker.work(burst=args.burst, with_scheduler=not args.no_scheduler,
                logging_level=args.logging_level)
    return 0


if __name__ == "__main__":
    sys.exit(main())
