"""The embedded default: without Redis, a background thread sweeps due deadlines."""
from __future__ import annotations

import logging
import threading

from flask import Flask

log = logging.getLogger(__name__)
_started: set[int] = set()
_lock = threading.Lock()


def sweep_once(app: Flask) -> int:
    """One pass of the sweep inside an app context; returns how many deadlines fired."""
    from caseapp.extensions import db
    from caseapp.services.cases.deadlines import sweep
    from caseapp.services.delivery.outbox import drain_pending
    with app.app_context():
        try:
            fired = sweep()
            drain_pending()  # the outbox too: no RQ jobs deliver it in embedded mode
        finally:
            db.session.remove()
    from .retention import purge_if_due
    purge_if_due(app)  # closed cases past the retention period (at most hourly)
    from .figures import rollup_if_due
    rollup_if_due(app)  # the dashboard's daily rollup (checked every 10 minutes)
    return fired


def _loop(app: Flask, stop: threading.Event) -> None:
    interval = max(1, int(app.config["DEADLINE_SWEEP_SECONDS"]))
    while not stop.wait(interval):
        try:
            fired = sweep_once(app)
            if fired:
                log.info("embedded sweeper fired %d deadline(s)", fired)
        except Exception:
            log.exception("embedded sweep failed; retrying at the next interval")


def start_sweeper(app: Flask) -> threading.Event | None:
    """Start the in-process sweeper once per app, only in embedded mode (no REDIS_URL)."""
    if app.config.get("REDIS_URL") or not app.config.get("EMBEDDED_SWEEPER") or app.testing:
        return None
    with _lock:
        if id(app) in _started:
            return None
        _started.add(id(app))
    stop = threading.Event()
    thread = threading.Thread(target=_loop, args=(app, stop), name="deadline-sweeper", daemon=True)
    thread.start()
    app.extensions["deadline_sweeper"] = stop
    log.info("embedded deadline sweeper started (every %ss)", app.config["DEADLINE_SWEEP_SECONDS"])
    return stop


def register_embedded_sweeper(app: Flask) -> None:
    """Web processes in embedded mode start the sweeper with their first request."""
    @app.before_request
    def _ensure_sweeper():
        if "deadline_sweeper" not in app.extensions:
            start_sweeper(app)
