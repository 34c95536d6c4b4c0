"""Loading a case under lock and writing back what the engine says, in one transaction."""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy.orm import lazyload
from sqlalchemy.orm.exc import StaleDataError

from ..extensions import db
from ..models import Agency, Breach, Case, Deadline, WorkItem, utcnow
from .audit import record_case_event
from ..engine import EngineError
from .errors import Conflict, NotFound, ServiceError
from .notifications import notify_role

PHASE_NAMES = {"dispatch": "tiếp nhận và chuyển xử lý", "handle": "xử lý",
               "return": "trả lại phản ánh không thuộc thẩm quyền", "publish": "phản hồi kết quả"}
AGENCY_LANE = "Agency"


@dataclass
class SaveResult:
    """What a save changed that must be announced after commit."""

    deadline_ids: list[int] = field(default_factory=list)
    fired_deadline_ids: list[int] = field(default_factory=list)
    fired_deadlines: list = field(default_factory=list)  # the rows, changed but maybe not flushed
    notification_rows: list = field(default_factory=list)


@contextmanager
def command_transaction():
    """One command, one transaction: commit on success, roll back everything on any failure."""
    try:
        yield
        db.session.commit()
    except StaleDataError as exc:
        db.session.rollback()
        raise Conflict("someone else changed this case at the same time; reload and retry") from exc
    except EngineError as exc:
        db.session.rollback()
        raise ServiceError(f"the process could not continue: {exc}", code="process_error") from exc
    except BaseException:
        db.session.rollback()
        raise


def lock_case(case_id: int) -> Case:
    """Load a case with a row lock (PostgreSQL); optimistic locking covers SQLite."""
    case = db.session.scalars(db.select(Case).where(Case.id == case_id)
                              .with_for_update(of=Case)
                              .execution_options(populate_existing=True)).first()
    if case is None:
        raise NotFound("case not found")
    return case


def apply_snapshot(case: Case, snapshot, actor=None, completed_task_id: str | None = None, *,
                   pending_deadlines=None, open_items=None) -> SaveResult:
    """Rewrite the case's work items and deadlines from the engine; the caller commits.

    `pending_deadlines` / `open_items`: the case's pending deadline rows and open work items when
    the caller already read them under the case's lock (a batch reads them for all its cases).
    """
    now = utcnow()
    result = SaveResult()
    case.workflow_state = snapshot.state_json
    case.updated_at = now
    case.phase = snapshot.ready_tasks[0].bpmn_id if snapshot.ready_tasks else None
    if snapshot.completed:
        case.status = "rejected" if snapshot.end_event == "rejected" else "closed"
        case.closed_at = case.closed_at or now
    with db.session.no_autoflush:  # the case's own rows are read as stored; one flush at the end
        _sync_deadlines(case, snapshot, now, result, pending_deadlines)
        _sync_work_items(case, snapshot, now, actor, completed_task_id, open_items)
    for effect in snapshot.effects:
        result.notification_rows += _apply_effect(case, effect)
    return result


def _timer_agency(case: Case, snapshot, timer) -> int | None:
    for task in snapshot.ready_tasks:
        if task.task_id == timer.attached_task_id:
            return case.current_agency_id if task.lane == AGENCY_LANE else None
    return None


def pending_deadlines_query(case_ids):
    return db.select(Deadline).where(Deadline.case_id.in_(case_ids), Deadline.state == "pending")


def open_work_items_query(case_ids):
    return (db.select(WorkItem).where(WorkItem.case_id.in_(case_ids), WorkItem.state == "open")
            .options(lazyload(WorkItem.case)))  # the case is at hand: no join to it


def _sync_deadlines(case: Case, snapshot, now, result: SaveResult, pending=None) -> None:
    if pending is None:
        pending = db.session.scalars(db.select(Deadline).where(
            Deadline.case_id == case.id, Deadline.state == "pending"))
    rows = {d.timer_task_id: d for d in pending
            if d.state == "pending"}  # (a row changed in this session but not yet flushed)
    created = []
    for timer in snapshot.pending_timers:
        row = rows.pop(timer.task_id, None)
        if row is None:
            created.append(Deadline(
                case_id=case.id, timer_task_id=timer.task_id, bpmn_id=timer.bpmn_id,
                attached_to=timer.attached_to, attached_task_id=timer.attached_task_id,
                phase=timer.phase, interrupting=timer.interrupting,
                agency_id=_timer_agency(case, snapshot, timer), started_at=now,
                due_at=timer.due_at, state="pending"))
        elif row.due_at != timer.due_at:
            row.due_at = timer.due_at
            result.deadline_ids.append(row.id)
    if created:
        db.session.add_all(created)
        db.session.flush(created)  # one batched INSERT; the ids go to the scheduler
        result.deadline_ids += [row.id for row in created]
    fired = {t.task_id: t for t in snapshot.fired_timers}
    for task_id, row in rows.items():
        timer = fired.get(task_id)
        if timer is None:
            row.state = "cancelled"
            continue
        row.state, row.fired_at = "fired", timer.fired_at
        result.fired_deadline_ids.append(row.id)
        result.fired_deadlines.append(row)
        result.notification_rows += _record_breach(case, row)


def _record_breach(case: Case, deadline: Deadline) -> list:
    db.session.add(Breach(case_id=case.id, deadline_id=deadline.id, phase=deadline.phase,
                          agency_id=deadline.agency_id, due_at=deadline.due_at,
                          fired_at=deadline.fired_at))
    record_case_event(case, "deadline_passed", None, phase_before=case.phase, phase_after=case.phase,
                      detail={"phase": deadline.phase, "due_at": deadline.due_at.isoformat(),
                              "fired_at": deadline.fired_at.isoformat()})
    label = PHASE_NAMES.get(deadline.phase, deadline.phase)
    if deadline.phase == "return":
        subject = f"[{case.tracking_code}] Hết hạn trả lại: cơ quan được coi là đã nhận xử lý"
    else:
        subject = f"[{case.tracking_code}] Quá hạn {label}"
    body = (f"Phản ánh {case.tracking_code}: thời hạn {label} là "
            f"{deadline.due_at.isoformat()} đã qua mà nhiệm vụ chưa hoàn thành.")
    if deadline.agency_id is not None:
        return notify_role(case, "leader", deadline.agency_id, "deadline_breach", subject, body)
    return notify_role(case, "supervisor", None, "deadline_breach", subject, body)


def _sync_work_items(case: Case, snapshot, now, actor, completed_task_id, items=None) -> None:
    if items is None:
        items = db.session.scalars(open_work_items_query([case.id]))
    open_items = {w.id: w for w in items if w.state == "open"}
    due_by_task = {}
    for timer in snapshot.pending_timers:
        if timer.phase == timer.attached_to or timer.attached_task_id not in due_by_task:
            due_by_task[timer.attached_task_id] = timer.due_at
    for task in snapshot.ready_tasks:
        item = open_items.pop(task.task_id, None)
        if item is None:
            db.session.add(WorkItem(
                id=task.task_id, case_id=case.id, bpmn_id=task.bpmn_id, task_name=task.name or "",
                form_key=task.form_key, lane=task.lane,
                agency_id=case.current_agency_id if task.lane == AGENCY_LANE else None,
                state="open", created_at=now, due_at=due_by_task.get(task.task_id)))
        elif task.task_id in due_by_task:
            item.due_at = due_by_task[task.task_id]
    for item_id, item in open_items.items():
        if item_id == completed_task_id:
            item.state, item.completed_at = "completed", now
            item.completed_by_id = getattr(actor, "id", None)
        else:
            item.state, item.completed_at = "cancelled", now


def _apply_effect(case: Case, effect) -> list:
    if effect.name == "agency_leader":
        code = effect.args.get("agency")
        agency = db.session.scalars(db.select(Agency).where(Agency.code == code)).first()
        agency_id = agency.id if agency else case.current_agency_id
        record_case_event(case, "urgent_leader_notified", None, phase_before=case.phase,
                          phase_after=case.phase, detail={"agency": code})
        return notify_role(case, "leader", agency_id, "urgent_report",
                           f"[{case.tracking_code}] Phản ánh KHẨN chuyển đến đơn vị",
                           f"Phản ánh khẩn {case.tracking_code} ({case.category.name}) đã được "
                           f"chuyển đến đơn vị. Đề nghị chỉ đạo xử lý ngay.\n\n{case.description}")
    record_case_event(case, "effect_ignored", None, detail={"effect": effect.name})
    return []
