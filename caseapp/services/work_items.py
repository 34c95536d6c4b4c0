"""Staff commands on work items: claim, unclaim and complete a task."""
from __future__ import annotations

from sqlalchemy.orm import contains_eager, lazyload

from ..extensions import db
from ..models import Case, CaseAssignment, Deadline, WorkItem, utcnow
from . import hooks
from .access import require_work_item
from .audit import record_case_event
from .case_store import apply_snapshot, command_transaction
from .errors import Conflict, Forbidden, NotFound
from .notifications import notify_reporter
from .processes import runner_for
from .validation import active_agency, clean_task_data


def get_work_item(user, item_id: str) -> WorkItem:
    """A work item the caller may see."""
    item = db.session.get(WorkItem, str(item_id))
    if item is None:
        raise NotFound("no such work item")
    require_work_item(user, item)
    return item


def _locked_open_item(user, item_id: str) -> tuple[WorkItem, Case]:
    """The work item and its case, fresh from the database, with the case row locked."""
    item = db.session.scalars(
        db.select(WorkItem).join(WorkItem.case).options(contains_eager(WorkItem.case))
        .where(WorkItem.id == str(item_id)).with_for_update(of=Case)
        .execution_options(populate_existing=True)).first()
    if item is None:
        raise NotFound("no such work item")
    case = item.case
    # read the item again now that the lock is held: rows joined to a locked row may be stale
    item = db.session.scalars(db.select(WorkItem).where(WorkItem.id == item.id)
                              .options(lazyload(WorkItem.case))
                              .execution_options(populate_existing=True)).one()
    require_work_item(user, item)
    if item.state != "open":
        raise Conflict("this task has already been completed", code="already_completed")
    return item, case


def claim(user, item_id: str) -> WorkItem:
    """Take a task so colleagues see it is being worked on."""
    with command_transaction():
        item, case = _locked_open_item(user, item_id)
        if item.claimed_by_id not in (None, user.id):
            raise Conflict("this task is already claimed by a colleague", code="claimed")
        item.claimed_by_id, item.claimed_at = user.id, utcnow()
        case.updated_at = utcnow()
        record_case_event(case, "claimed", user, phase_before=case.phase, phase_after=case.phase,
                          detail={"task": item.bpmn_id})
    return item


def unclaim(user, item_id: str) -> WorkItem:
    """Give a task back; a supervisor or leader may release a colleague's claim."""
    with command_transaction():
        item, case = _locked_open_item(user, item_id)
        if item.claimed_by_id not in (None, user.id) and user.role not in ("supervisor", "leader"):
            raise Forbidden("only the colleague who claimed it, or a supervisor, may release it")
        item.claimed_by_id, item.claimed_at = None, None
        case.updated_at = utcnow()
        record_case_event(case, "unclaimed", user, phase_before=case.phase, phase_after=case.phase,
                          detail={"task": item.bpmn_id})
    return item


def complete(user, item_id: str, data: dict) -> Case:
    """Submit a task's form: validate, run the process, record everything, in one transaction."""
    with command_transaction():
        item, case = _locked_open_item(user, item_id)
        if item.claimed_by_id not in (None, user.id):
            raise Conflict("this task is claimed by a colleague", code="claimed")
        clean = clean_task_data(item.form_key, data, case)
        phase_before = case.phase
        before_rules = _BEFORE.get(item.form_key)
        if before_rules:
            before_rules(user, case, item, clean)
        snapshot = runner_for(case.process_version_id).complete(case.workflow_state, item.id, clean)
        saved = apply_snapshot(case, snapshot, user, completed_task_id=item.id)
        with db.session.no_autoflush:  # what follows reads stored rows: write the case once
            _AFTER[item.form_key](user, case, item, clean, snapshot, phase_before, saved)
    hooks.deadlines_changed(saved.deadline_ids)
    hooks.notifications_created([n.id for n in saved.notification_rows])
    return case


def _before_dispatch(user, case, item, clean):
    if clean["action"] != "dispatch":
        return
    agency = active_agency(clean["agency"])
    seq = len(case.assignments) + 1
    case.assignments.append(CaseAssignment(
        seq=seq, agency=agency, agency_id=agency.id, assigned_at=utcnow(), assigned_by_id=user.id,
        urgent=clean["urgent"], note=clean["note"], outcome="handling"))
    case.current_agency_id = agency.id
    case.current_agency = agency
    case.urgent = clean["urgent"]


def _after_dispatch(user, case, item, clean, snapshot, phase_before, saved):
    if clean["action"] == "dispatch":
        record_case_event(case, "dispatched", user, phase_before=phase_before, phase_after=case.phase,
                          public=True, detail={"agency": clean["agency"], "urgent": clean["urgent"],
                                               "note": clean["note"]})
        return
    case.reject_reason = clean["reject_reason"]
    case.public_response = snapshot.data.get("public_response")
    record_case_event(case, "rejected", user, phase_before=phase_before, phase_after=case.phase,
                      public=True, detail={"reason": clean["reject_reason"],
                                           "duplicate_of": clean["duplicate_of"]})
    row = notify_reporter(case, f"[{case.tracking_code}] Kết quả tiếp nhận phản ánh",
                          case.public_response or "")
    if row is not None:
        saved.notification_rows.append(row)


def _current_assignment(case) -> CaseAssignment | None:
    for assignment in reversed(case.assignments):
        if assignment.outcome == "handling":
            return assignment
    return None


def _after_handle(user, case, item, clean, snapshot, phase_before, saved):
    assignment = _current_assignment(case)
    now = utcnow()
    if clean["action"] == "return":
        late = any(row.attached_task_id == item.id and row.phase == "return"
                   for row in saved.fired_deadlines) or db.session.scalar(  # fired now, or before
            db.select(Deadline.id).where(
                Deadline.case_id == case.id, Deadline.attached_task_id == item.id,
                Deadline.phase == "return", Deadline.state == "fired").limit(1)) is not None
        if assignment is not None:
            assignment.outcome, assignment.outcome_at = "returned", now
            assignment.return_reason, assignment.late_return = clean["return_reason"], late
        agency_code = case.current_agency.code if case.current_agency else None
        case.return_count += 1
        case.current_agency_id = None
        case.current_agency = None
        record_case_event(case, "late_return" if late else "returned", user,
                          phase_before=phase_before, phase_after=case.phase, public=True,
                          detail={"agency": agency_code, "reason": clean["return_reason"],
                                  "late": late})
        return
    if assignment is not None:
        assignment.outcome, assignment.outcome_at = "resolved", now
    case.resolution = clean["result"]
    record_case_event(case, "resolved", user, phase_before=phase_before, phase_after=case.phase,
                      public=True, detail={"agency": case.current_agency.code
                                           if case.current_agency else None})


def _after_publish(user, case, item, clean, snapshot, phase_before, saved):
    case.public_response = clean["public_response"]
    record_case_event(case, "published", user, phase_before=phase_before, phase_after=case.phase,
                      public=True, detail={})
    row = notify_reporter(case, f"[{case.tracking_code}] Kết quả xử lý phản ánh",
                          case.public_response)
    if row is not None:
        saved.notification_rows.append(row)


_BEFORE = {"dispatch": _before_dispatch}
_AFTER = {"dispatch": _after_dispatch, "handle": _after_handle, "publish": _after_publish}
