"""The rows a case's workflow state implies: work items, deadlines, breaches.

The engine is the truth; these rows are its indexes, rewritten from every snapshot in the same
transaction: a READY user task is an open work item, a pending timer a pending deadline. What
the engine no longer has is closed (an item completed or cancelled, a deadline cancelled); a
timer that fired leaves a fired deadline, a breach and the notifications it calls for.
"""
from __future__ import annotations

from sqlalchemy.orm import lazyload

from ...extensions import db
from ...models import Agency, Breach, Deadline, WorkItem
from ..access import AGENCY_QUEUES
from ..administration.sla_settings import phase_label
from ..delivery.notifications import notify_role

# how a breach notice names the built-in phases; a designer's phase by its label (SLA policy)
_BREACH_WORDING = {"dispatch": "tiếp nhận và chuyển xử lý", "handle": "xử lý",
                   "return": "trả lại phản ánh không thuộc thẩm quyền", "publish": "phản hồi kết quả"}


def preload(uow, case_ids) -> None:
    """A batch of cases (firing deadlines) reads the pending deadlines and open work items of
    all its cases at once, one query each instead of two per case; each case's sync then takes
    its own. Call it once the cases are locked, so the rows are current."""
    uow.preloaded_deadlines = {case_id: [] for case_id in case_ids}
    uow.preloaded_items = {case_id: [] for case_id in case_ids}
    for row in uow.session.scalars(db.select(Deadline).where(
            Deadline.case_id.in_(case_ids), Deadline.state == "pending")):
        uow.preloaded_deadlines[row.case_id].append(row)
    for item in uow.session.scalars(db.select(WorkItem).options(lazyload(WorkItem.case)).where(
            WorkItem.case_id.in_(case_ids), WorkItem.state == "open")):
        uow.preloaded_items[item.case_id].append(item)


def _pending_deadlines(uow, case) -> list[Deadline]:
    preloaded = uow.preloaded_deadlines.pop(case.id, None)  # used once
    if preloaded is not None:
        return preloaded
    return list(uow.session.scalars(
        db.select(Deadline).where(Deadline.case_id == case.id, Deadline.state == "pending")))


def _open_items(uow, case) -> list[WorkItem]:
    preloaded = uow.preloaded_items.pop(case.id, None)  # used once
    if preloaded is not None:
        return preloaded
    return list(uow.session.scalars(
        db.select(WorkItem).options(lazyload(WorkItem.case))  # the case is at hand already
        .where(WorkItem.case_id == case.id, WorkItem.state == "open")))


def sync(uow, case, snapshot, now, completed_task_id: str | None) -> None:
    """Make the case's open work items and pending deadlines say what the snapshot says."""
    _sync_deadlines(uow, case, snapshot, now)
    _sync_work_items(uow, case, snapshot, now, completed_task_id)


def _agency_for(case, task) -> int | None:
    """The agency a task's queue belongs to: the case's current one for the agency queues."""
    return case.current_agency_id if task is not None and task.queue in AGENCY_QUEUES else None


def _sync_deadlines(uow, case, snapshot, now) -> None:
    pending = {row.timer_task_id: row for row in _pending_deadlines(uow, case)}
    ready = {task.task_id: task for task in snapshot.ready_tasks}
    for timer in snapshot.fired_timers:
        row = pending.pop(timer.task_id, None)
        if row is None:
            continue  # fired within this very call, before it was ever stored as a row
        row.state, row.fired_at = "fired", timer.fired_at
        uow.fired.append(row)
        _record_breach(uow, case, row)
    for timer in snapshot.pending_timers:
        row = pending.pop(timer.task_id, None)
        if row is None:
            row = Deadline(case_id=case.id, timer_task_id=timer.task_id, bpmn_id=timer.bpmn_id,
                           attached_to=timer.attached_to, attached_task_id=timer.attached_task_id,
                           phase=timer.phase, interrupting=timer.interrupting,
                           agency_id=_agency_for(case, ready.get(timer.attached_task_id)),
                           started_at=now, due_at=timer.due_at, state="pending")
            uow.session.add(row)
            uow.scheduled(row)
        elif row.due_at != timer.due_at:
            row.due_at = timer.due_at
            uow.scheduled(row)
    for row in pending.values():  # the engine no longer waits for these
        row.state = "cancelled"


def _sync_work_items(uow, case, snapshot, now, completed_task_id) -> None:
    open_items = {item.id: item for item in _open_items(uow, case)}
    due_by_task = {}
    for timer in snapshot.pending_timers:  # the task's own phase first, else its soonest timer
        if timer.phase == timer.attached_to or timer.attached_task_id not in due_by_task:
            due_by_task[timer.attached_task_id] = timer.due_at
    for task in snapshot.ready_tasks:
        item = open_items.pop(task.task_id, None)
        due = due_by_task.get(task.task_id)
        if item is None:
            uow.session.add(WorkItem(
                id=task.task_id, case_id=case.id, bpmn_id=task.bpmn_id, task_name=task.name or "",
                form_key=task.form_key, lane=task.lane, queue=task.queue,
                agency_id=_agency_for(case, task),
                state="open", created_at=now, due_at=due))
        elif due is not None and item.due_at != due:  # a fired deadline keeps its due time
            item.due_at = due
    for item in open_items.values():  # no longer ready: done by this command, or taken away
        done = item.id == completed_task_id
        item.state = "completed" if done else "cancelled"
        item.completed_at = now
        item.completed_by_id = getattr(uow.actor, "id", None) if done else None


def _record_breach(uow, case, deadline: Deadline) -> None:
    uow.session.add(Breach(case_id=case.id, deadline_id=deadline.id, phase=deadline.phase,
                           agency_id=deadline.agency_id, due_at=deadline.due_at,
                           fired_at=deadline.fired_at))
    uow.record(case, "deadline_passed", phase_before=case.phase, phase_after=case.phase,
               system=True, detail={"phase": deadline.phase,
                                    "due_at": deadline.due_at.isoformat(),
                                    "fired_at": deadline.fired_at.isoformat()})
    label = _BREACH_WORDING.get(deadline.phase) or phase_label(deadline.phase, "vi")
    if deadline.phase == "return":
        subject = f"[{case.tracking_code}] Hết hạn trả lại: cơ quan được coi là đã nhận xử lý"
    else:
        subject = f"[{case.tracking_code}] Quá hạn {label}"
    body = (f"Phản ánh {case.tracking_code}: thời hạn {label} là "
            f"{deadline.due_at.isoformat()} đã qua mà nhiệm vụ chưa hoàn thành.")
    if deadline.agency_id is not None:
        rows = notify_role(case, "leader", deadline.agency_id, "deadline_breach", subject, body)
    else:
        rows = notify_role(case, "supervisor", None, "deadline_breach", subject, body)
    uow.notified(rows)


def apply_effect(uow, case, effect) -> None:
    """What a diagram's script asked for with notify(...): one place per kind of effect."""
    if effect.name != "agency_leader":
        uow.record(case, "effect_ignored", system=True, detail={"effect": effect.name})
        return
    code = effect.args.get("agency")
    agency = uow.session.scalars(db.select(Agency).where(Agency.code == code)).first()
    uow.record(case, "urgent_leader_notified", phase_before=case.phase, phase_after=case.phase,
               system=True, detail={"agency": code})
    uow.notified(notify_role(
        case, "leader", agency.id if agency else case.current_agency_id, "urgent_report",
        f"[{case.tracking_code}] Phản ánh KHẨN chuyển đến đơn vị",
        f"Phản ánh khẩn {case.tracking_code} ({case.category.name}) đã được chuyển đến đơn vị. "
        f"Đề nghị chỉ đạo xử lý ngay.\n\n{case.description}"))
