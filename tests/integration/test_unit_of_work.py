"""The case unit of work: the rows a command leaves, all or nothing, and conflicts as 409s.

Each test runs on SQLite and PostgreSQL. Concurrency: N completions of one item at the same
moment give exactly one success and N-1 conflicts, for every kind of task, and a completion
racing the firing of its own deadline never fails.
"""
import pytest
from freezegun import freeze_time

from caseapp.extensions import db
from caseapp.models import (Breach, Case, CaseAssignment, CaseEvent, Deadline, User, WorkItem)
from caseapp.services.cases import tasks
from caseapp.services.cases.deadlines import fire_deadline
from caseapp.services.cases.submission import submit_report
from caseapp.services.cases.unit_of_work import CaseUnitOfWork
from caseapp.services.errors import Conflict

from .helpers import REPORT
from .test_concurrency import run_together
from .test_deadlines import local

N = 10
STEPS = {  # task -> (who completes it, with what)
    "dispatch": ("operator", {"action": "dispatch", "agency": "police", "urgent": True}),
    "handle": ("officer.police", {"action": "resolve", "result": "Đã xử lý xong tại hiện trường."}),
    "handle_return": ("officer.police", {"action": "return", "return_reason": "Không thuộc thẩm quyền"}),
    "publish": ("operator", {"public_response": "Cảm ơn bạn, sự việc đã được xử lý."}),
}


def _user(name):
    return db.session.scalars(db.select(User).where(User.username == name)).one()


def _open_item(case_id, task):
    return db.session.scalars(db.select(WorkItem).where(
        WorkItem.case_id == case_id, WorkItem.bpmn_id == task, WorkItem.state == "open")).one()


def _complete(task, case_id):
    username, data = STEPS[task]
    item = _open_item(case_id, task.split("_")[0])
    return tasks.complete(_user(username), item.id, dict(data))


def _case_at(task):
    """A new case whose open task is `task` (dispatch, handle or publish)."""
    case, _ = submit_report(dict(REPORT))
    if task in ("handle", "publish"):
        _complete("dispatch", case.id)
    if task == "publish":
        _complete("handle", case.id)
    db.session.remove()
    return case.id


def _rows(model, case_id, *conditions):
    return list(db.session.scalars(db.select(model).where(model.case_id == case_id, *conditions)))


@pytest.mark.parametrize("task", ["dispatch", "handle", "handle_return", "publish"])
def test_concurrent_completions_one_wins_the_rest_conflict(seeded, task):
    case_id = _case_at(task.split("_")[0])
    bpmn_id = task.split("_")[0]
    item_id = _open_item(case_id, bpmn_id).id
    username, data = STEPS[task]
    user_id = _user(username).id
    db.session.remove()

    def attempt():
        return tasks.complete(db.session.get(User, user_id), item_id, dict(data)).id

    results = run_together(seeded, *[attempt] * N)
    errors = [value for kind, value in results if kind == "error"]
    assert sum(1 for kind, _ in results if kind == "ok") == 1, results
    assert len(errors) == N - 1 and all(isinstance(e, Conflict) for e in errors), errors
    db.session.expire_all()
    completed = _rows(WorkItem, case_id, WorkItem.bpmn_id == bpmn_id, WorkItem.state == "completed")
    assert len(completed) == 1
    assert len(_rows(WorkItem, case_id, WorkItem.state == "open")) == (0 if task == "publish" else 1)
    kinds = [e.kind for e in _rows(CaseEvent, case_id)]
    done_kind = {"dispatch": "dispatched", "handle": "resolved", "handle_return": "returned",
                 "publish": "published"}[task]
    assert kinds.count(done_kind) == 1, kinds


def test_completion_racing_its_deadline_firing(seeded):
    """The dispatch deadline falls due while the operator completes the task: both succeed,
    in either order; the breach is recorded at most once and nothing is half-written."""
    with freeze_time(local(2026, 11, 25, 10, 0)) as clock:
        case_id = _case_at("dispatch")
        deadline_id = _rows(Deadline, case_id, Deadline.phase == "dispatch")[0].id
        item_id = _open_item(case_id, "dispatch").id
        operator_id = _user("operator").id
        db.session.remove()
        clock.move_to(local(2026, 11, 25, 12, 0, 5))
        results = run_together(
            seeded, lambda: tasks.complete(db.session.get(User, operator_id), item_id,
                                           dict(STEPS["dispatch"][1])).phase,
            lambda: fire_deadline(deadline_id))
    assert [kind for kind, _ in results] == ["ok", "ok"], results
    db.session.expire_all()
    assert db.session.get(Case, case_id).phase == "handle"
    deadline = db.session.get(Deadline, deadline_id)
    # completing first cancels nothing that was due: complete() fires due timers before it runs
    assert deadline.state == "fired"
    assert len(_rows(Breach, case_id)) == 1


def test_rows_left_by_dispatch_and_return(seeded):
    with freeze_time(local(2026, 11, 25, 9, 0)):  # a Wednesday
        case_id = _case_at("handle")
        case = db.session.get(Case, case_id)
        police = case.current_agency_id
        assignment = _rows(CaseAssignment, case_id)[0]
        assert (assignment.seq, assignment.agency_id, assignment.outcome) == (1, police, "handling")
        item = _open_item(case_id, "handle")
        assert (item.queue, item.agency_id, item.lane) == ("agency", police, "Agency")
        pending = {d.phase: d for d in _rows(Deadline, case_id, Deadline.state == "pending")}
        assert set(pending) == {"handle", "return"}
        assert all(d.agency_id == police and d.attached_task_id == item.id for d in pending.values())
        assert item.due_at == pending["handle"].due_at
        assert _rows(Deadline, case_id, Deadline.phase == "dispatch")[0].state == "cancelled"
        _complete("handle_return", case_id)
    db.session.expire_all()
    case = db.session.get(Case, case_id)
    assert (case.current_agency_id, case.return_count, case.phase) == (None, 1, "dispatch")
    assert _rows(CaseAssignment, case_id)[0].outcome == "returned"
    assert not _rows(Deadline, case_id, Deadline.state == "pending", Deadline.phase != "dispatch")
    assert {d.state for d in _rows(Deadline, case_id, Deadline.phase.in_(["handle", "return"]))} == {
        "cancelled"}
    assert _rows(WorkItem, case_id, WorkItem.bpmn_id == "handle")[0].state == "completed"
    assert _open_item(case_id, "dispatch").queue == "portal"


def test_a_failing_command_leaves_nothing(seeded):
    case_id = _case_at("dispatch")
    before = db.session.get(Case, case_id).lock_version
    with pytest.raises(RuntimeError):
        with CaseUnitOfWork(_user("operator")) as uow:
            case = uow.lock(case_id)
            uow.record(case, "claimed", detail={"task": "dispatch"})
            case.urgent = True
            raise RuntimeError("the command fails after its first writes")
    db.session.expire_all()
    case = db.session.get(Case, case_id)
    assert case.lock_version == before and case.urgent is False
    assert [e.kind for e in _rows(CaseEvent, case_id)] == ["submitted"]


def test_a_stale_case_is_a_conflict_not_a_500(seeded, client):
    """Another writer moved the case's version between our read and our lock: we retry the
    lock and then see the item is no longer open: 409 through the API."""
    case_id = _case_at("dispatch")
    item_id = _open_item(case_id, "dispatch").id
    tasks.complete(_user("operator"), item_id, dict(STEPS["dispatch"][1]))
    token = client.post("/api/v1/tokens", json={"username": "operator", "password": "pw"}).get_json()
    response = client.post(f"/api/v1/work-items/{item_id}/complete", json=STEPS["dispatch"][1],
                           headers={"Authorization": f"Bearer {token['token']}"})
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "already_completed"
