"""The retention purge's entry point: closed cases past the retention period lose their reporter's
identity. Run by the embedded sweeper and by the RQ workers' maintenance, at most once per
PURGE_INTERVAL_SECONDS per process (the purge is idempotent, so two processes doing it is harmless)."""
from __future__ import annotations

import logging
import threading
import time

from flask import Flask

log = logging.getLogger(__name__)

PURGE_INTERVAL_SECONDS = 3600
_last_run: dict[int, float] = {}
_lock = threading.Lock()


def purge_personal_data(app: Flask) -> int:
    """One purge inside an app context; returns how many cases lost their identity."""
    from caseapp.extensions import db
    from caseapp.services.privacy.retention import purge_expired
    with app.app_context():
        try:
            return purge_expired()
        finally:
            db.session.remove()


def purge_if_due(app: Flask, clock=time.monotonic) -> int | None:
    """Purge when this process has not done so for an interval; None when it was not due."""
    now = clock()
    with _lock:
        last = _last_run.get(id(app))
        if last is not None and now - last < PURGE_INTERVAL_SECONDS:
            return None
        _last_run[id(app)] = now
    try:
        return purge_personal_data(app)
    except Exception:
        log.exception("personal data purge failed; retrying at the next interval")
        return None
