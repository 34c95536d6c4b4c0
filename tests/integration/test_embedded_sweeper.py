"""Embedded mode: without Redis the app's own thread fires due deadlines."""
from freezegun import freeze_time

from caseapp.extensions import db
from caseapp.models import Breach
from caseapp.services.cases.submission import submit_report
from timers.embedded import start_sweeper, sweep_once

from .helpers import REPORT
from .test_deadlines import local


def test_sweep_once_fires_due_deadlines_in_its_own_context(seeded):
    with freeze_time(local(2026, 11, 25, 10, 0)):
        submit_report(dict(REPORT))
    with freeze_time(local(2026, 11, 25, 12, 0, 1)):
        assert sweep_once(seeded) == 1
        assert sweep_once(seeded) == 0
    assert db.session.scalar(db.select(db.func.count()).select_from(Breach)) == 1


def test_sweeper_thread_only_in_embedded_mode(seeded):
    # tests never start it, and with REDIS_URL the web process leaves deadlines to the workers
    assert start_sweeper(seeded) is None
    seeded.config.update(TESTING=False, REDIS_URL="redis://127.0.0.1:6379/15")
    try:
        assert start_sweeper(seeded) is None
    finally:
        seeded.config.update(TESTING=True, REDIS_URL=None)
