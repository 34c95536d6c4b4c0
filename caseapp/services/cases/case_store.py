"""Loading a case under lock and writing back what the engine says, in one transaction.

The case is an ORM object; its lock_version is the optimistic lock, checked by store_case's one
guarded UPDATE. The rows derived from the engine (deadlines, work items) are never read back:
the snapshot carries what the engine started from and what it ends with, and the difference is
collected in a CaseWrites (case_writes.py) that goes out in one statement on PostgreSQL. On this
path the ORM's unit of work and the round trips cost more than the database's own work did.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import bindparam, select, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from ...extensions import db
from ...models import Agency, Breach, Case, Deadline, WorkItem, utcnow
from ..delivery import hooks
from .audit import record_case_event
from .case_writes import CASE_PROCESS_COLUMNS, CaseWrites, one_statement_writes
from ...engine import EngineError
from ..errors import Conflict, NotFound, ServiceError
from ..delivery.notifications import notify_role

PHASE_NAMES = {"dispatch": "tiếp nhận và chuyển xử lý", "handle": "xử lý",
               "return": "trả lại phản ánh không thuộc thẩm quyền", "publish": "phản hồi kết quả"}
AGENCY_LANE = "Agency"

DEADLINES = Deadline.__table__
WORK_ITEMS = WorkItem.__table__
# the deadline columns a breach records
PENDING_COLUMNS = (DEADLINES.c.id, DEADLINES.c.case_id, DEADLINES.c.timer_task_id,
                   DEADLINES.c.attached_task_id, DEADLINES.c.phase, DEADLINES.c.agency_id,
                   DEADLINES.c.due_at)


@dataclass(frozen=True)
class FiredDeadline:
    """A deadline row this save fired."""

    id: int
    attached_task_id: str
    phase: str
    agency_id: int | None
    due_at: object
    fired_at: object


@dataclass
class SaveResult:
    """What a save changed that must be announced after commit."""

    deadline_ids: list[int] = field(default_factory=list)
    fired_deadline_ids: list[int] = field(default_factory=list)
    fired_deadlines: list[FiredDeadline] = field(default_factory=list)
    notification_rows: list = field(default_factory=list)

    def announce(self, *more_deadline_ids: int) -> None:
        """After commit: the scheduler hears of the deadline rows, the sender of the messages."""
        hooks.deadlines_changed(list(dict.fromkeys([*more_deadline_ids, *self.deadline_ids])))
        hooks.notifications_created([row.id for row in self.notification_rows])


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


_CASE_COLUMNS = {attr.key: attr.columns[0] for attr in sa_inspect(Case).column_attrs}
_CASE_TABLE = Case.__table__
_case_updates: dict[tuple[str, ...], object] = {}


def store_case(case: Case, writes: CaseWrites | None = None) -> list[int]:
    """Write the case's changed columns with one UPDATE guarded by its lock_version.

    What the ORM's flush would do for this one row, without its unit-of-work machinery (the
    most frequent write of the application); afterwards the object is clean, so the flush at
    commit has nothing to do for it. `writes`: the command's other rows, sent with it (on
    PostgreSQL in the same statement). Another writer in between: StaleDataError.
    Returns the ids of the deadline rows `writes` created.
    """
    state = sa_inspect(case)
    if state.key is None:  # not inserted yet: the ORM does it
        if writes is not None:
            writes.send()
            return writes.sent_deadline_ids
        return []
    current = state.dict
    changes = {key: current[key] for key, before in state.committed_state.items()
               if key in _CASE_COLUMNS and key != "lock_version" and key in current
               and before is not current[key] and before != current[key]}
    version = case.lock_version
    if (writes is not None and changes and one_statement_writes()
            and set(changes) <= _ONE_STATEMENT_COLUMNS):
        written = writes.send_with_case(
            case.id, {name: current.get(name) for name in CASE_PROCESS_COLUMNS}, version)
    else:
        if writes is not None:
            writes.send()
        written = not changes or _update_case(case.id, version, changes)
        if not changes:
            return writes.sent_deadline_ids if writes is not None else []
    if not written:
        raise StaleDataError(f"case {case.id} was changed by another writer")
    current["lock_version"] = version + 1
    # every loaded attribute now matches the row (relationships included: their ids were
    # written above); SQLAlchemy's own post-flush step, so the commit's flush skips the case
    state._commit_all(current, db.session.identity_map)
    return writes.sent_deadline_ids if writes is not None else []


_ONE_STATEMENT_COLUMNS = frozenset(CASE_PROCESS_COLUMNS)


def _update_case(case_id: int, version: int, changes: dict) -> bool:
    keys = tuple(sorted(changes))
    statement = _case_updates.get(keys)
    if statement is None:
        statement = _case_updates[keys] = update(_CASE_TABLE).where(
            _CASE_TABLE.c.id == bindparam("b_id"),
            _CASE_TABLE.c.lock_version == bindparam("b_version")).values(
            lock_version=bindparam("b_next"),
            **{_CASE_COLUMNS[key].name: bindparam(f"v_{key}") for key in keys})
    params = {f"v_{key}": value for key, value in changes.items()}
    params.update(b_id=case_id, b_version=version, b_next=version + 1)
    return db.session.execute(statement, params).rowcount == 1


def lock_case(case_id: int) -> Case:
    """Load a case with a row lock (PostgreSQL); optimistic locking covers SQLite."""
    case = db.session.scalars(db.select(Case).where(Case.id == case_id)
                              .with_for_update(of=Case)
                              .execution_options(populate_existing=True)).first()
    if case is None:
        raise NotFound("case not found")
    return case


# Statements built once: building one costs more than running it. Rows are addressed by what
# the engine knows (case and timer task id, work item id = task id), so no command reads them;
# the frequent writes (new rows, closed rows, events) go through case_writes.CaseWrites.
_BY_TIMER = (DEADLINES.c.case_id == bindparam("b_case")) & (
    DEADLINES.c.timer_task_id == bindparam("b_timer")) & (DEADLINES.c.state == "pending")
_MOVE_DEADLINE = update(DEADLINES).where(_BY_TIMER).values(
    due_at=bindparam("b_due")).returning(DEADLINES.c.id)
_PENDING_DEADLINES = select(*PENDING_COLUMNS).where(
    DEADLINES.c.case_id.in_(bindparam("case_ids", expanding=True)), DEADLINES.c.state == "pending")
_MOVE_ITEM = update(WORK_ITEMS).where(WORK_ITEMS.c.id == bindparam("b_id")).values(
    due_at=bindparam("b_due"))


def apply_snapshot(case: Case, snapshot, actor=None, completed_task_id: str | None = None,
                   writes: CaseWrites | None = None, pending_deadlines=None) -> SaveResult:
    """Rewrite the case and its work items and deadlines from the engine; the caller commits.

    `writes`: collect the row writes there (the caller sends them later, with store_case or for
    a whole batch) instead of sending them at once. `pending_deadlines`: the case's pending
    deadline rows when the caller read them (a batch, for all its cases in one query).
    """
    write_case_state(case, snapshot)
    return write_derived_rows(case, snapshot, actor, completed_task_id, writes, pending_deadlines)


def write_case_state(case: Case, snapshot) -> None:
    """The case row's share of a snapshot (written by store_case or the ORM's flush)."""
    now = utcnow()
    case.workflow_state = snapshot.state_json
    case.updated_at = now
    case.phase = snapshot.ready_tasks[0].bpmn_id if snapshot.ready_tasks else None
    if snapshot.completed:
        case.status = "rejected" if snapshot.end_event == "rejected" else "closed"
        case.closed_at = case.closed_at or now


def write_derived_rows(case: Case, snapshot, actor=None, completed_task_id: str | None = None,
                       writes: CaseWrites | None = None, pending_deadlines=None) -> SaveResult:
    """Deadlines, work items and effects of a snapshot, for a case row that already exists.

    What changed is the difference between the state the engine started from and the one it
    returned (both in the snapshot); the statements are guarded by the rows' states, so a row
    that is not what the engine says is never half-updated.
    """
    now = case.updated_at or utcnow()
    result = SaveResult()
    pending = writes or CaseWrites()
    with db.session.no_autoflush:  # the case row itself is written once, at the end
        _sync_deadlines(case, snapshot, now, result, pending, pending_deadlines)
        _sync_work_items(case, snapshot, now, actor, completed_task_id, pending)
        for effect in snapshot.effects:
            result.notification_rows += _apply_effect(case, effect)
    if writes is None:
        pending.send()
        result.deadline_ids += pending.sent_deadline_ids
    return result


def _timer_agency(case: Case, snapshot, timer) -> int | None:
    for task in snapshot.ready_tasks:
        if task.task_id == timer.attached_task_id:
            return case.current_agency_id if task.lane == AGENCY_LANE else None
    return None


def read_pending_deadlines(case_ids) -> list:
    """Pending deadline rows (what a breach records) of these cases."""
    return db.session.execute(_PENDING_DEADLINES, {"case_ids": list(case_ids)}).all()


def _sync_deadlines(case: Case, snapshot, now, result: SaveResult, writes: CaseWrites,
                    pending=None) -> None:
    before = snapshot.timers_before
    created = []
    for timer in snapshot.pending_timers:
        due_before = before.get(timer.task_id)
        if due_before is None:
            created.append({
                "case_id": case.id, "timer_task_id": timer.task_id, "bpmn_id": timer.bpmn_id,
                "attached_to": timer.attached_to, "attached_task_id": timer.attached_task_id,
                "phase": timer.phase, "interrupting": timer.interrupting,
                "agency_id": _timer_agency(case, snapshot, timer), "started_at": now,
                "due_at": timer.due_at, "state": "pending", "fired_at": None})
        elif due_before != timer.due_at:
            for deadline_id in db.session.execute(_MOVE_DEADLINE, {
                    "b_case": case.id, "b_timer": timer.task_id, "b_due": timer.due_at}).scalars():
                result.deadline_ids.append(deadline_id)
                mirror_loaded(Deadline, deadline_id, due_at=timer.due_at)
    writes.new_deadlines += created
    fired_ids = set()
    if snapshot.fired_timers:  # rare outside a sweep: the rows a breach records
        if pending is None:
            pending = read_pending_deadlines([case.id])
        rows = {row.timer_task_id: row for row in pending if row.case_id == case.id}
        for timer in snapshot.fired_timers:
            row = rows.get(timer.task_id)
            if row is None:
                continue  # fired within this very call, before it was ever stored as a row
            fired_ids.add(timer.task_id)
            writes.fired.append({"case_id": case.id, "timer_task_id": timer.task_id,
                                 "fired_at": timer.fired_at})
            mirror_loaded(Deadline, row.id, state="fired", fired_at=timer.fired_at)
            fired = FiredDeadline(row.id, row.attached_task_id, row.phase, row.agency_id,
                                  row.due_at, timer.fired_at)
            result.fired_deadline_ids.append(fired.id)
            result.fired_deadlines.append(fired)
            result.notification_rows += _record_breach(case, fired)
    keep = {timer.task_id for timer in snapshot.pending_timers}
    if set(before) - keep - fired_ids:
        writes.cancels.append({"case_id": case.id, "keep": sorted(keep | fired_ids)})
        for ident in _loaded_ids(Deadline):
            obj = _loaded(Deadline, ident)
            if obj.case_id == case.id and obj.state == "pending" and obj.timer_task_id not in keep:
                set_committed_value(obj, "state", "cancelled")


def _record_breach(case: Case, deadline: FiredDeadline) -> list:
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


def _sync_work_items(case: Case, snapshot, now, actor, completed_task_id,
                     writes: CaseWrites) -> None:
    due_by_task = {}
    for timer in snapshot.pending_timers:
        if timer.phase == timer.attached_to or timer.attached_task_id not in due_by_task:
            due_by_task[timer.attached_task_id] = timer.due_at
    moved_timers = {timer.attached_task_id for timer in snapshot.pending_timers
                    if timer.task_id in snapshot.timers_before
                    and snapshot.timers_before[timer.task_id] != timer.due_at}
    created, moved = [], []
    for task in snapshot.ready_tasks:
        due = due_by_task.get(task.task_id)
        if task.task_id not in snapshot.ready_before:
            created.append({
                "id": task.task_id, "case_id": case.id, "bpmn_id": task.bpmn_id,
                "task_name": task.name or "", "form_key": task.form_key, "lane": task.lane,
                "agency_id": case.current_agency_id if task.lane == AGENCY_LANE else None,
                "state": "open", "created_at": now, "due_at": due, "claimed_by_id": None,
                "claimed_at": None, "completed_by_id": None, "completed_at": None})
        elif due is not None and task.task_id in moved_timers:
            moved.append({"b_id": task.task_id, "b_due": due})
    writes.new_items += created
    if moved:
        db.session.execute(_MOVE_ITEM, moved)
        for change in moved:
            mirror_loaded(WorkItem, change["b_id"], due_at=change["b_due"])
    keep = {task.task_id for task in snapshot.ready_tasks}
    closed = snapshot.ready_before - keep
    if closed or completed_task_id is not None:
        by = getattr(actor, "id", None)
        writes.closes.append({"case_id": case.id, "keep": sorted(keep),
                              "done": completed_task_id or "", "at": now, "by": by})
        for item_id in closed | ({completed_task_id} if completed_task_id else set()):
            done = item_id == completed_task_id
            mirror_loaded(WorkItem, item_id, state="completed" if done else "cancelled",
                          completed_at=now, completed_by_id=by if done else None)


def _loaded(model, ident):
    return db.session.identity_map.get(db.session.identity_key(model, ident))


def _loaded_ids(model) -> list:
    return [key[1][0] for key in list(db.session.identity_map.keys()) if key[0] is model]


def mirror_loaded(model, ident, **values) -> None:
    """A row just rewritten by a Core statement: an ORM copy already loaded shows the new values."""
    obj = _loaded(model, ident)
    if obj is not None:
        for name, value in values.items():
            set_committed_value(obj, name, value)


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
