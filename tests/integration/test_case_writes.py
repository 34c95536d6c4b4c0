"""A command's row writes go out with the case row (one statement on PostgreSQL): all or nothing."""
import pytest

from caseapp.extensions import db
from caseapp.models import Case, CaseAssignment, CaseEvent, Deadline, WorkItem
from caseapp.services.cases import tasks as work_items
from caseapp.services.cases.case_store import command_transaction, store_case
from caseapp.services.cases.case_writes import CaseWrites, collecting
from caseapp.services.errors import Conflict
from caseapp.services.cases.submission import submit_report

from .helpers import REPORT


def _open_item(case_id):
    return db.session.scalars(db.select(WorkItem).where(
        WorkItem.case_id == case_id, WorkItem.state == "open")).one()


def _rows(model, case_id, *order):
    return list(db.session.scalars(db.select(model).where(model.case_id == case_id)
                                   .order_by(*order)))


def test_a_dispatch_and_a_return_leave_every_row_as_the_engine_says(users):
    case, _ = submit_report(dict(REPORT))
    dispatch = _open_item(case.id)
    work_items.complete(users["operator"], dispatch.id,
                        {"action": "dispatch", "agency": "police", "note": "gấp"})
    handle = _open_item(case.id)
    work_items.complete(users["officer.police"], handle.id,
                        {"action": "return", "return_reason": "Không thuộc thẩm quyền"})
    db.session.expire_all()

    items = {item.id: item for item in _rows(WorkItem, case.id, WorkItem.created_at)}
    assert items[dispatch.id].state == "completed"
    assert items[dispatch.id].completed_by_id == users["operator"].id
    assert items[handle.id].state == "completed"
    assert items[handle.id].completed_by_id == users["officer.police"].id
    assert items[handle.id].agency_id is not None and items[handle.id].lane == "Agency"
    redispatch = _open_item(case.id)
    assert redispatch.bpmn_id == "dispatch" and redispatch.due_at is not None

    deadlines = _rows(Deadline, case.id, Deadline.id)
    pending = [d for d in deadlines if d.state == "pending"]
    assert [d.attached_task_id for d in pending] == [redispatch.id]
    assert {d.phase for d in deadlines if d.attached_task_id == handle.id} == {"handle", "return"}
    assert all(d.state == "cancelled" for d in deadlines if d.attached_task_id == handle.id)

    (assignment,) = _rows(CaseAssignment, case.id, CaseAssignment.seq)
    assert (assignment.seq, assignment.outcome, assignment.note) == (1, "returned", "gấp")
    assert assignment.return_reason == "Không thuộc thẩm quyền" and assignment.late_return is False

    kinds = [event.kind for event in _rows(CaseEvent, case.id, CaseEvent.id)]
    assert kinds == ["submitted", "dispatched", "returned"]
    fresh = db.session.get(Case, case.id)
    assert (fresh.phase, fresh.return_count, fresh.current_agency_id) == ("dispatch", 1, None)


def test_a_second_dispatch_numbers_its_assignment_after_the_first(users):
    case, _ = submit_report(dict(REPORT))
    for agency, officer in (("police", "officer.police"), ("transport", None)):
        work_items.complete(users["operator"], _open_item(case.id).id,
                            {"action": "dispatch", "agency": agency})
        if officer:
            work_items.complete(users[officer], _open_item(case.id).id,
                                {"action": "return", "return_reason": "Sai thẩm quyền"})
    db.session.expire_all()
    assignments = _rows(CaseAssignment, case.id, CaseAssignment.seq)
    assert [(a.seq, a.agency.code, a.outcome) for a in assignments] == [
        (1, "police", "returned"), (2, "transport", "handling")]


def test_when_the_case_row_changed_underneath_nothing_of_the_command_is_kept(seeded):
    """The version check fails after the rows were sent: the whole transaction is undone."""
    case, _ = submit_report(dict(REPORT))
    events_before = len(_rows(CaseEvent, case.id, CaseEvent.id))
    with pytest.raises(Conflict):
        with command_transaction():
            locked = db.session.get(Case, case.id)
            db.session.execute(db.text(  # another writer, as far as this command can tell
                "UPDATE case_file SET lock_version = lock_version + 1 WHERE id = :c"),
                {"c": case.id})
            with collecting(CaseWrites(), case.id) as writes:
                writes.events.append({"case_id": case.id, "kind": "claimed", "actor_id": None,
                                      "actor_label": "system", "phase_before": None,
                                      "phase_after": None, "public": False, "detail": {},
                                      "at": locked.updated_at})
                writes.closes.append({"case_id": case.id, "keep": [], "done": "",
                                      "at": locked.updated_at, "by": None})
                locked.phase = "publish"
                store_case(locked, writes)
    db.session.expire_all()
    assert len(_rows(CaseEvent, case.id, CaseEvent.id)) == events_before
    assert _open_item(case.id).state == "open"
    assert db.session.get(Case, case.id).phase == "dispatch"
