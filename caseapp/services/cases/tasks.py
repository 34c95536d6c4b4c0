"""Staff commands on work items: claim, unclaim and complete a task."""
from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import lazyload

from ...extensions import db
from ...models import Case, Deadline, WorkItem, utcnow
from ..access import require_work_item
from .audit import record_case_event
from .case_store import apply_snapshot, command_transaction, store_case
from .case_writes import CaseWrites, collecting, collector_for
from ..errors import Conflict, Forbidden, NotFound
from ..delivery.notifications import notify_reporter
from ..administration.processes import runner_for
from ..administration.sla_settings import DAY_TEXT, POLICY_TEXT, DueCalculator
from .validation import active_agency, clean_task_data

# whether the return window of this handle task has passed (its timer fired)
_RETURN_WINDOW_PASSED = select(Deadline.id).where(
    Deadline.case_id == bindparam("case_id"), Deadline.attached_task_id == bindparam("task_id"),
    Deadline.phase == "return", Deadline.state == "fired").limit(1)


def get_work_item(user, item_id: str) -> WorkItem:
    """A work item the caller may see."""
    item = db.session.get(WorkItem, str(item_id))
    if item is None:
        raise NotFound("no such work item")
    require_work_item(user, item)
    return item


# A work item with its case, the case row locked (PostgreSQL; SQLite relies on the case's
# lock_version), and the SLA settings texts, in one statement. Every change to a work item is
# made under its case's lock by a transaction that also updates the case row, so the item read
# here is current unless that lock was waited for: then the locked case row is re-read by
# PostgreSQL (a newer lock_version than the one this statement's snapshot saw) and so is the item.
_ITEMS = WorkItem.__table__
_CASE_AS_SEEN = Case.__table__.alias("case_as_seen")
_ITEM_COLUMNS = tuple(column.label(f"item_{column.name}") for column in _ITEMS.c)
_LOCK_ITEM_AND_CASE = (
    select(Case, POLICY_TEXT, DAY_TEXT, _CASE_AS_SEEN.c.lock_version.label("seen_version"),
           *_ITEM_COLUMNS)
    .select_from(_ITEMS)
    .join(Case, Case.id == _ITEMS.c.case_id)
    .join(_CASE_AS_SEEN, _CASE_AS_SEEN.c.id == _ITEMS.c.case_id)
    .where(_ITEMS.c.id == bindparam("item_id"))
    .with_for_update(of=Case).execution_options(populate_existing=True))
_ITEM_OBJECT = (select(WorkItem).options(lazyload(WorkItem.case))
                .where(WorkItem.id == bindparam("item_id"))
                .execution_options(populate_existing=True))
_ITEM_ROW = select(*_ITEMS.c).where(_ITEMS.c.id == bindparam("item_id"))


class _ItemRow:
    """A work item as read with its case (read-only: commands change items with statements)."""

    __slots__ = tuple(column.name for column in _ITEMS.c)

    def __init__(self, row):
        mapping = row._mapping
        for name in self.__slots__:
            setattr(self, name, mapping[f"item_{name}"])


def _locked_open_item(user, item_id: str, *, as_row: bool = False) -> tuple[WorkItem, Case, tuple]:
    """The work item and its case, fresh from the database, with the case row locked.

    Also returns the SLA settings texts read with the lock (for a DueCalculator).
    `as_row`: the item read-only (a command that changes it with Core statements); otherwise
    the ORM object, to change.
    """
    params = {"item_id": str(item_id)}
    locked = db.session.execute(_LOCK_ITEM_AND_CASE, params).first()
    if locked is None:
        raise NotFound("no such work item")
    case, settings_texts = locked[0], (locked[1], locked[2])
    if not as_row:
        item = db.session.scalars(_ITEM_OBJECT, params).one()
    elif locked.seen_version != case.lock_version:  # the lock was waited for: read it again
        item = db.session.execute(_ITEM_ROW, params).one()
    else:
        item = _ItemRow(locked)
    require_work_item(user, item)
    if item.state != "open":
        raise Conflict("this task has already been completed", code="already_completed")
    return item, case, settings_texts


def claim(user, item_id: str) -> WorkItem:
    """Take a task so colleagues see it is being worked on."""
    with command_transaction():
        item, case, _ = _locked_open_item(user, item_id)
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
        item, case, _ = _locked_open_item(user, item_id)
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
        item, case, settings_texts = _locked_open_item(user, item_id, as_row=True)
        if item.claimed_by_id not in (None, user.id):
            raise Conflict("this task is claimed by a colleague", code="claimed")
        clean = clean_task_data(item.form_key, data, case)
        phase_before = case.phase
        with collecting(CaseWrites(), case.id) as writes:  # sent with the case row, at the end
            before_rules = _BEFORE.get(item.form_key)
            if before_rules:
                before_rules(user, case, item, clean, writes)
            runner = runner_for(case.process_version_id, DueCalculator(settings_texts))
            snapshot = runner.complete(case.workflow_state, item.id, clean)
            saved = apply_snapshot(case, snapshot, user, completed_task_id=item.id, writes=writes)
            with db.session.no_autoflush:  # what follows reads stored rows
                _AFTER[item.form_key](user, case, item, clean, snapshot, phase_before, saved)
                saved.deadline_ids += store_case(case, writes)
    saved.announce()
    return case


def _before_dispatch(user, case, item, clean, writes):
    if clean["action"] != "dispatch":
        return
    agency = active_agency(clean["agency"])
    writes.new_assignments.append({"case_id": case.id, "agency_id": agency.id,
                                   "assigned_at": utcnow(), "assigned_by_id": user.id,
                                   "urgent": clean["urgent"], "note": clean["note"]})
    db.session.expire(case, ["assignments"])
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


def _close_assignment(case, outcome: str, return_reason: str | None = None,
                      late_return: bool = False) -> None:
    """The agency's turn with the case ends: returned or resolved."""
    collector_for(case.id).assignment_outcomes.append({
        "case_id": case.id, "outcome": outcome, "outcome_at": utcnow(),
        "return_reason": return_reason, "late_return": late_return})
    db.session.expire(case, ["assignments"])


def _after_handle(user, case, item, clean, snapshot, phase_before, saved):
    if clean["action"] == "return":
        late = any(row.attached_task_id == item.id and row.phase == "return"
                   for row in saved.fired_deadlines) or db.session.scalar(  # fired now, or before
            _RETURN_WINDOW_PASSED, {"case_id": case.id, "task_id": item.id}) is not None
        _close_assignment(case, "returned", clean["return_reason"], late)
        agency_code = case.current_agency.code if case.current_agency else None
        case.return_count += 1
        case.current_agency_id = None
        case.current_agency = None
        record_case_event(case, "late_return" if late else "returned", user,
                          phase_before=phase_before, phase_after=case.phase, public=True,
                          detail={"agency": agency_code, "reason": clean["return_reason"],
                                  "late": late})
        return
    _close_assignment(case, "resolved")
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
