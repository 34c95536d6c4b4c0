"""Two writers at once: one completion wins, sweeps fire each deadline exactly once."""
import threading

from freezegun import freeze_time

from caseapp.extensions import db
from caseapp.models import Breach, Case, Notification, User
from caseapp.services import work_items
from caseapp.services.deadlines import sweep
from caseapp.services.errors import Conflict
from caseapp.services.reports import submit_report

from .helpers import REPORT
from .test_deadlines import local


def run_together(app, *functions):
    """Run each function in its own thread and app context, released at the same moment."""
    barrier = threading.Barrier(len(functions))
    results = [None] * len(functions)

    def runner(index, function):
        with app.app_context():
            barrier.wait()
            try:
                results[index] = ("ok", function())
            except Exception as exc:  # collected and asserted by the test
                results[index] = ("error", exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=runner, args=(i, f)) for i, f in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def _user(name):
    return db.session.scalars(db.select(User).where(User.username == name)).one()


def test_two_concurrent_completions_one_wins(seeded):
    case, _ = submit_report(dict(REPORT))
    item_id = case.id and db.session.execute(db.text(
        "SELECT id FROM work_item WHERE case_id = :c AND state = 'open'"), {"c": case.id}).scalar()
    operator_id = _user("operator").id

    def complete(agency):
        def go():
            user = db.session.get(User, operator_id)
            return work_items.complete(user, item_id, {"action": "dispatch", "agency": agency}).status
        return go

    for attempt in range(3):
        results = run_together(seeded, complete("police"), complete("health"))
        outcomes = sorted(kind for kind, _ in results)
        if attempt == 0:
            assert outcomes == ["error", "ok"], results
            error = next(value for kind, value in results if kind == "error")
            assert isinstance(error, Conflict)
        else:  # already completed: every later attempt is a conflict
            assert outcomes == ["error", "error"]
    db.session.expire_all()
    fresh = db.session.get(Case, case.id)
    assert len(fresh.assignments) == 1 and fresh.phase == "handle"
    assert db.session.execute(db.text(
        "SELECT count(*) FROM work_item WHERE case_id = :c AND bpmn_id = 'handle'"),
        {"c": case.id}).scalar() == 1


def test_two_concurrent_sweeps_fire_each_deadline_once(seeded):
    with freeze_time(local(2026, 11, 25, 10, 0)):
        for _ in range(6):
            submit_report(dict(REPORT))
    with freeze_time(local(2026, 11, 25, 12, 0, 5)):
        results = run_together(seeded, sweep, sweep, sweep)
    assert all(kind == "ok" for kind, _ in results), results
    assert sum(value for _, value in results) == 6
    assert db.session.scalar(db.select(db.func.count()).select_from(Breach)) == 6
    assert db.session.scalar(db.select(db.func.count()).select_from(Notification)) == 6
