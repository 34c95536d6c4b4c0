"""One command's writes to a case and its rows, sent together: one statement on PostgreSQL.

Completing a task changes the case row, its deadlines, work items, assignment and audit trail.
The command collects those changes in a CaseWrites, then sends them with the case row's guarded
UPDATE (store_case): on PostgreSQL as one statement of data-modifying CTEs fed by JSON record
sets (one round trip instead of seven), elsewhere as one Core statement per kind of row. Either
way they run inside the command's transaction and are undone with it.
"""
from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, func, insert, select, text, update
from sqlalchemy import case as sql_case

from ...extensions import db
from ...models import CaseAssignment, CaseEvent, Deadline, WorkItem

DEADLINES = Deadline.__table__
WORK_ITEMS = WorkItem.__table__
ASSIGNMENTS = CaseAssignment.__table__
EVENTS = CaseEvent.__table__

# The case columns a command changes; the one-statement path writes all of them.
CASE_PROCESS_COLUMNS = ("workflow_state", "updated_at", "phase", "status", "closed_at",
                        "current_agency_id", "urgent", "return_count", "public_response",
                        "resolution", "reject_reason")


@dataclass
class CaseWrites:
    """What one command (or one batch of cases) writes besides the case rows themselves.

    Every record names its case, so one CaseWrites can carry a whole batch of cases.
    """

    new_deadlines: list[dict] = field(default_factory=list)
    fired: list[dict] = field(default_factory=list)  # {case_id, timer_task_id, fired_at}
    cancels: list[dict] = field(default_factory=list)  # {case_id, keep}: pending not in keep
    # (keep holds the timers still pending and those fired now)
    new_items: list[dict] = field(default_factory=list)
    closes: list[dict] = field(default_factory=list)  # {case_id, keep, done, at, by}: open ones
    new_assignments: list[dict] = field(default_factory=list)
    assignment_outcomes: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    sent_deadline_ids: list[int] = field(default_factory=list)  # the new rows' ids, once sent

    def is_empty(self) -> bool:
        """Nothing collected (or everything already sent)."""
        return not any((self.new_deadlines, self.fired, self.cancels, self.new_items, self.closes,
                        self.new_assignments, self.assignment_outcomes, self.events))

    def send(self) -> None:
        """Write everything collected: one statement on PostgreSQL, else a few per kind of row."""
        if self.is_empty():
            return
        if one_statement_writes():
            row = db.session.execute(_ROWS_STATEMENT, self._params()).one()
            self.sent_deadline_ids += list(row.deadline_ids)
            self.clear()
            return
        if self.new_deadlines:
            self.sent_deadline_ids += db.session.execute(
                _INSERT_DEADLINES, self.new_deadlines).scalars().all()
        if self.fired:
            db.session.execute(_FIRE_DEADLINE, [_prefixed(row) for row in self.fired])
        for cancel in self.cancels:  # a list parameter each: one statement per case
            db.session.execute(_CANCEL_DEADLINES, _prefixed(cancel))
        if self.new_items:
            db.session.execute(_INSERT_ITEMS, self.new_items)
        for close in self.closes:
            db.session.execute(_CLOSE_ITEMS, _prefixed(close))
        for assignment in self.new_assignments:
            db.session.execute(_OPEN_ASSIGNMENT, _prefixed(assignment))
        if self.assignment_outcomes:
            db.session.execute(_CLOSE_ASSIGNMENT, [_prefixed(row) for row in self.assignment_outcomes])
        if self.events:
            db.session.execute(_INSERT_EVENTS, self.events)
        self.clear()

    def send_with_case(self, case_id: int, values: dict, version: int) -> bool:
        """PostgreSQL: everything and one case row's UPDATE in one statement.

        False when the case's lock_version was not `version` (another writer: the caller
        raises, and the transaction is rolled back).
        """
        params = self._params()
        params.update(case_id=case_id, version=version)
        params.update({f"c_{name}": values[name] for name in CASE_PROCESS_COLUMNS})
        row = db.session.execute(_ONE_STATEMENT, params).one()
        self.clear()
        self.sent_deadline_ids += list(row.deadline_ids)
        return row.updated == 1

    def _params(self) -> dict:
        return {"new_deadlines": _json(self.new_deadlines, _DEADLINE_FIELDS),
                "fired": _json(self.fired, _FIRED_FIELDS),
                "cancels": _json(self.cancels, _CANCEL_FIELDS),
                "new_items": _json(self.new_items, _ITEM_FIELDS),
                "closes": _json(self.closes, _CLOSE_FIELDS),
                "new_assignments": _json(self.new_assignments, _ASSIGNMENT_FIELDS),
                "assignment_outcomes": _json(self.assignment_outcomes, _OUTCOME_FIELDS),
                "events": _json(self.events, _EVENT_FIELDS)}

    def clear(self) -> None:
        """Forget what was sent."""
        for name in ("new_deadlines", "fired", "cancels", "new_items", "closes",
                     "new_assignments", "assignment_outcomes", "events"):
            setattr(self, name, [])


def one_statement_writes() -> bool:
    """Whether the database takes a command's writes as one statement (PostgreSQL)."""
    return db.engine.dialect.name == "postgresql"


@contextmanager
def collecting(writes: CaseWrites, *case_ids: int):
    """While active, audit events of these cases go into `writes` instead of their own INSERT."""
    active = db.session.info.setdefault("case_writes", {})
    for case_id in case_ids:
        active[case_id] = writes
    try:
        yield writes
    finally:
        for case_id in case_ids:
            active.pop(case_id, None)


def collector_for(case_id) -> CaseWrites | None:
    """The CaseWrites collecting for this case in this session, if any."""
    return db.session.info.get("case_writes", {}).get(case_id)


def _prefixed(row: dict) -> dict:
    return {f"b_{name}": value for name, value in row.items()}


def _json(rows: list[dict], fields: tuple[str, ...]) -> str:
    return json.dumps([{name: _plain(row.get(name)) for name in fields} for row in rows],
                      ensure_ascii=False, separators=(",", ":"))


def _plain(value):
    return value.isoformat() if isinstance(value, datetime) else value


# -- the Core statements (every database) -------------------------------------------------------

_INSERT_DEADLINES = insert(DEADLINES).returning(DEADLINES.c.id)  # new ids, in any order
_FIRE_DEADLINE = update(DEADLINES).where(
    DEADLINES.c.case_id == bindparam("b_case_id"),
    DEADLINES.c.timer_task_id == bindparam("b_timer_task_id"),
    DEADLINES.c.state == "pending").values(state="fired", fired_at=bindparam("b_fired_at"))
# every pending row the engine no longer has pending (nor fired) is cancelled
_CANCEL_DEADLINES = update(DEADLINES).where(
    DEADLINES.c.case_id == bindparam("b_case_id"), DEADLINES.c.state == "pending",
    DEADLINES.c.timer_task_id.not_in(bindparam("b_keep", expanding=True))).values(
    state="cancelled")
_INSERT_ITEMS = insert(WORK_ITEMS)
# every open item that is no longer a ready task is closed: completed (the one the command
# completed) or cancelled (a task an interrupting event took away)
_CLOSE_ITEMS = update(WORK_ITEMS).where(
    WORK_ITEMS.c.case_id == bindparam("b_case_id"), WORK_ITEMS.c.state == "open",
    WORK_ITEMS.c.id.not_in(bindparam("b_keep", expanding=True))).values(
    state=sql_case((WORK_ITEMS.c.id == bindparam("b_done"), "completed"), else_="cancelled"),
    completed_at=bindparam("b_at"),
    completed_by_id=sql_case((WORK_ITEMS.c.id == bindparam("b_done"), bindparam("b_by")),
                             else_=None))
_OPEN_ASSIGNMENT = insert(ASSIGNMENTS).values(
    case_id=bindparam("b_case_id"),
    seq=select(func.coalesce(func.max(ASSIGNMENTS.c.seq), 0) + 1)
    .where(ASSIGNMENTS.c.case_id == bindparam("b_case_id")).scalar_subquery(),
    agency_id=bindparam("b_agency_id"), assigned_at=bindparam("b_assigned_at"),
    assigned_by_id=bindparam("b_assigned_by_id"), urgent=bindparam("b_urgent"),
    note=bindparam("b_note"), outcome="handling", outcome_at=None, return_reason=None,
    late_return=False)
_CLOSE_ASSIGNMENT = update(ASSIGNMENTS).where(
    ASSIGNMENTS.c.case_id == bindparam("b_case_id"), ASSIGNMENTS.c.outcome == "handling").values(
    outcome=bindparam("b_outcome"), outcome_at=bindparam("b_outcome_at"),
    return_reason=bindparam("b_return_reason"), late_return=bindparam("b_late_return"))
_INSERT_EVENTS = insert(EVENTS)

# -- PostgreSQL: the same writes and the case row in one statement ------------------------------

_DEADLINE_FIELDS = ("case_id", "timer_task_id", "bpmn_id", "attached_to", "attached_task_id",
                    "phase", "interrupting", "agency_id", "started_at", "due_at")
_FIRED_FIELDS = ("case_id", "timer_task_id", "fired_at")
_CANCEL_FIELDS = ("case_id", "keep")
_ITEM_FIELDS = ("id", "case_id", "bpmn_id", "task_name", "form_key", "lane", "agency_id",
                "created_at", "due_at")
_CLOSE_FIELDS = ("case_id", "keep", "done", "at", "by")
_ASSIGNMENT_FIELDS = ("case_id", "agency_id", "assigned_at", "assigned_by_id", "urgent", "note")
_OUTCOME_FIELDS = ("case_id", "outcome", "outcome_at", "return_reason", "late_return")
_EVENT_FIELDS = ("case_id", "at", "actor_id", "actor_label", "kind", "phase_before",
                 "phase_after", "public", "detail")

# Data-modifying CTEs all run, on the statement's snapshot, whether or not the final SELECT
# reads them, and none may touch a row another one touches (a fired deadline is in its case's
# `keep`, so it is not also cancelled). With the case row: a lock_version mismatch leaves `updated` at 0 and the
# caller rolls the whole transaction back.
_ROW_WRITES = """
WITH new_deadlines AS (
    INSERT INTO deadline (case_id, timer_task_id, bpmn_id, attached_to, attached_task_id, phase,
                          interrupting, agency_id, started_at, due_at, state)
    SELECT r.case_id, r.timer_task_id, r.bpmn_id, r.attached_to, r.attached_task_id, r.phase,
           r.interrupting, r.agency_id, r.started_at, r.due_at, 'pending'
    FROM jsonb_to_recordset(CAST(:new_deadlines AS jsonb)) AS r(
        case_id integer, timer_task_id text, bpmn_id text, attached_to text,
        attached_task_id text, phase text, interrupting boolean, agency_id integer,
        started_at timestamptz, due_at timestamptz)
    RETURNING id
), fired_deadlines AS (
    UPDATE deadline SET state = 'fired', fired_at = r.fired_at
    FROM jsonb_to_recordset(CAST(:fired AS jsonb)) AS r(
        case_id integer, timer_task_id text, fired_at timestamptz)
    WHERE deadline.case_id = r.case_id AND deadline.timer_task_id = r.timer_task_id
      AND deadline.state = 'pending'
    RETURNING deadline.id
), cancelled_deadlines AS (
    UPDATE deadline SET state = 'cancelled'
    FROM jsonb_to_recordset(CAST(:cancels AS jsonb)) AS r(case_id integer, keep jsonb)
    WHERE deadline.case_id = r.case_id AND deadline.state = 'pending'
      AND NOT r.keep @> to_jsonb(deadline.timer_task_id)
    RETURNING deadline.id
), closed_items AS (
    UPDATE work_item SET
        state = CASE WHEN work_item.id = r.done THEN 'completed' ELSE 'cancelled' END,
        completed_at = r.at,
        completed_by_id = CASE WHEN work_item.id = r.done THEN r.by END
    FROM jsonb_to_recordset(CAST(:closes AS jsonb)) AS r(
        case_id integer, keep jsonb, done text, at timestamptz, by integer)
    WHERE work_item.case_id = r.case_id AND work_item.state = 'open'
      AND NOT r.keep @> to_jsonb(work_item.id)
    RETURNING work_item.id
), new_items AS (
    INSERT INTO work_item (id, case_id, bpmn_id, task_name, form_key, lane, agency_id, state,
                           created_at, due_at)
    SELECT r.id, r.case_id, r.bpmn_id, r.task_name, r.form_key, r.lane, r.agency_id, 'open',
           r.created_at, r.due_at
    FROM jsonb_to_recordset(CAST(:new_items AS jsonb)) AS r(
        id text, case_id integer, bpmn_id text, task_name text, form_key text, lane text,
        agency_id integer, created_at timestamptz, due_at timestamptz)
    RETURNING id
), new_assignments AS (
    INSERT INTO case_assignment (case_id, seq, agency_id, assigned_at, assigned_by_id, urgent,
                                 note, outcome, late_return)
    SELECT r.case_id, COALESCE((SELECT max(a.seq) FROM case_assignment a
                                WHERE a.case_id = r.case_id), 0) + 1,
           r.agency_id, r.assigned_at, r.assigned_by_id, r.urgent, r.note, 'handling', false
    FROM jsonb_to_recordset(CAST(:new_assignments AS jsonb)) AS r(
        case_id integer, agency_id integer, assigned_at timestamptz, assigned_by_id integer,
        urgent boolean, note text)
    RETURNING id
), closed_assignments AS (
    UPDATE case_assignment SET outcome = r.outcome, outcome_at = r.outcome_at,
                               return_reason = r.return_reason, late_return = r.late_return
    FROM jsonb_to_recordset(CAST(:assignment_outcomes AS jsonb)) AS r(
        case_id integer, outcome text, outcome_at timestamptz, return_reason text,
        late_return boolean)
    WHERE case_assignment.case_id = r.case_id AND case_assignment.outcome = 'handling'
    RETURNING case_assignment.id
), events AS (
    INSERT INTO case_event (case_id, at, actor_id, actor_label, kind, phase_before, phase_after,
                            public, detail)
    SELECT r.case_id, r.at, r.actor_id, r.actor_label, r.kind, r.phase_before, r.phase_after,
           r.public, r.detail
    FROM ROWS FROM (jsonb_to_recordset(CAST(:events AS jsonb)) AS (
        case_id integer, at timestamptz, actor_id integer, actor_label text, kind text,
        phase_before text, phase_after text, public boolean, detail json))
        WITH ORDINALITY AS r(case_id, at, actor_id, actor_label, kind, phase_before, phase_after,
                             public, detail, position)
    ORDER BY r.position
    RETURNING id
)"""
_CASE_WRITE = """, updated_case AS (
    UPDATE case_file SET
        workflow_state = :c_workflow_state, updated_at = :c_updated_at, phase = :c_phase,
        status = :c_status, closed_at = :c_closed_at, current_agency_id = :c_current_agency_id,
        urgent = :c_urgent, return_count = :c_return_count, public_response = :c_public_response,
        resolution = :c_resolution, reject_reason = :c_reject_reason,
        lock_version = CAST(:version AS integer) + 1
    WHERE id = :case_id AND lock_version = CAST(:version AS integer)
    RETURNING id
)"""
_NEW_DEADLINE_IDS = "(SELECT COALESCE(array_agg(id), '{}') FROM new_deadlines) AS deadline_ids"
_ROWS_STATEMENT = text(f"{_ROW_WRITES}\nSELECT {_NEW_DEADLINE_IDS}")
_ONE_STATEMENT = text(f"{_ROW_WRITES}{_CASE_WRITE}\n"
                      f"SELECT (SELECT count(*) FROM updated_case) AS updated, {_NEW_DEADLINE_IDS}")
