"""The dashboard's daily rollup, kept up to date in the background: run by the embedded sweeper
and by the RQ workers' maintenance, checked at most once per ROLLUP_CHECK_SECONDS per process.
A check is one read; when due it rolls today so far (up to the last 10-minute boundary) and the
days that changed, so a dashboard's live part is the last minutes, and the first dashboard after
midnight finds the day before already rolled (it would catch up itself otherwise)."""
from __future__ import annotations

import logging
import threading
import time

from flask import Flask

log = logging.getLogger(__name__)

ROLLUP_CHECK_SECONDS = 600
_last_run: dict[int, float] = {}
_lock = threading.Lock()


def rollup_figures(app: Flask) -> int:
    """Catch the rollup up inside an app context; how many new days it rolled."""
    from caseapp.extensions import db
    from caseapp.services.figures.rollup import catch_up
    with app.app_context():
        try:
            return catch_up(intraday=True)  # today so far too: a small live part
        finally:
            db.session.remove()


def rollup_if_due(app: Flask, clock=time.monotonic) -> int | None:
    """Catch up when this process has not checked for an interval; None when it was not due."""
    now = clock()
    with _lock:
        last = _last_run.get(id(app))
        if last is not None and now - last < ROLLUP_CHECK_SECONDS:
            return None
        _last_run[id(app)] = now
    try:
        days = rollup_figures(app)
        if days:
            log.info("figures rollup: %d new day(s)", days)
        return days
    except Exception:
        log.exception("figures rollup failed; retrying at the next interval")
        return None
