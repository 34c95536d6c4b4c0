"""Two writers at once: one completion wins, sweeps fire each deadline exactly once."""
import threading

import pytest

from freezegun import freeze_time

from caseapp.extensions import db
from caseapp.models import Breach, Case, Notification, User
from caseapp.services.cases import tasks as work_items
from caseapp.services.cases.deadlines import sweep
from caseapp.services.errors import Conflict
from caseapp.services.cases.submission import submit_report

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


def _wait_until_a_session_waits_for_a_lock(connection, seconds: float = 20.0) -> None:
    """Poll PostgreSQL until another session of this database is blocked on a row lock."""
    import time
    deadline = time.monotonic() + seconds
    query = db.text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()")
    while time.monotonic() < deadline:
        if connection.execute(query).scalar():
            return
    raise AssertionError("no session started waiting for the lock")


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_completion_that_waited_for_the_case_lock_sees_what_changed_meanwhile(seeded):
    """While a colleague's transaction holds the case, they claim the task: once the lock is
    ours, the claim is seen (the item is read again), not the row as it was before waiting."""
    case, _ = submit_report(dict(REPORT))
    item_id = db.session.execute(db.text(
        "SELECT id FROM work_item WHERE case_id = :c AND state = 'open'"), {"c": case.id}).scalar()
    operator_id, supervisor_id = _user("operator").id, _user("supervisor").id
    db.session.rollback()
    holder = db.engine.connect()
    transaction = holder.begin()
    holder.execute(db.text("SELECT id FROM case_file WHERE id = :c FOR UPDATE"), {"c": case.id})
    holder.execute(db.text("UPDATE work_item SET claimed_by_id = :u, claimed_at = now() "
                           "WHERE id = :i"), {"u": supervisor_id, "i": item_id})
    holder.execute(db.text("UPDATE case_file SET lock_version = lock_version + 1, "
                           "updated_at = now() WHERE id = :c"), {"c": case.id})
    outcome = {}

    def complete():
        with seeded.app_context():
            try:
                user = db.session.get(User, operator_id)
                outcome["result"] = work_items.complete(
                    user, item_id, {"action": "dispatch", "agency": "police"}).status
            except Exception as exc:  # asserted below
                outcome["result"] = exc
            finally:
                db.session.remove()

    thread = threading.Thread(target=complete)
    thread.start()
    try:
        with db.engine.connect() as watcher:
            _wait_until_a_session_waits_for_a_lock(watcher)
    finally:
        transaction.commit()
        holder.close()
    thread.join(timeout=60)
    error = outcome["result"]
    assert isinstance(error, Conflict) and error.code == "claimed", outcome
    db.session.expire_all()
    assert db.session.get(Case, case.id).phase == "dispatch"
