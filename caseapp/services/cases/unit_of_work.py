"""One unit of work for every command that changes a case.

A command opens a CaseUnitOfWork, locks the case (or adds a new one), runs the engine, hands the
snapshot to `apply` — which writes the case's workflow state and derives its work items,
deadlines and breaches from what the engine says — records its audit events, and leaves the
`with` block: the transaction commits, and only then are the scheduler and the outbox told
(`announce`). Any failure rolls everything back; a lost race is a Conflict (409), never a 500.

Locking: on PostgreSQL the case row is read with SELECT … FOR UPDATE, so a second writer waits
and then reads the case as the first one left it. SQLite has no row locks: there the case's
lock_version is bumped at once through the ORM's version check, which takes SQLite's write lock
for this transaction; a writer that lost the race finds the version moved, reads the case again
and retries. Either way the final write of the case row is guarded by its lock_version too.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from ...engine import EngineError
from ...extensions import db
from ...models import Case, Notification, WorkItem, utcnow
from ..delivery import hooks
from ..errors import Conflict, NotFound, ServiceError
from . import derived_rows
from .audit import record_case_event

log = logging.getLogger(__name__)

LOCK_ATTEMPTS = 5


@dataclass
class Announcements:
    """What the committed work must tell the scheduler and the outbox sender."""

    deadlines: list = field(default_factory=list)  # Deadline rows created or moved
    notifications: list = field(default_factory=list)  # Notification rows created

    def send(self) -> None:
        """After commit: ids are final, and a failure here never undoes the work."""
        hooks.deadlines_changed(list(dict.fromkeys(row.id for row in self.deadlines)))
        hooks.notifications_created([row.id for row in self.notifications])


class CaseUnitOfWork:
    """Lock, engine, derived rows, audit, commit, announce: the path of every case command."""

    def __init__(self, actor=None, session=None):
        self.actor = actor
        self.session = session or db.session
        self.announcements = Announcements()
        self.fired = []  # Deadline rows fired by this unit
        self._locked: list[int] = []
        # A batch reads its cases' pending deadlines and open work items once
        # (derived_rows.preload); each case's rows are taken out the first time it is applied.
        self.preloaded_deadlines: dict[int, list] = {}
        self.preloaded_items: dict[int, list] = {}

    # -- the transaction -----------------------------------------------------------------------

    def __enter__(self) -> CaseUnitOfWork:
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is None:
            try:
                self.session.commit()
            except BaseException as error:
                self.session.rollback()
                translated = _translate(error)
                if translated is error:
                    raise
                raise translated from error
            self.announcements.send()
            return False
        self.session.rollback()
        translated = _translate(exc)
        if translated is not exc:
            raise translated from exc
        return False

    # -- the case ------------------------------------------------------------------------------

    def lock(self, case_id: int) -> Case:
        """The case, fresh and owned by this transaction until it ends."""
        return self._lock(db.select(Case).where(Case.id == case_id), "case not found")

    def lock_for_item(self, item_id: str) -> Case:
        """The case of a work item, locked as by `lock` (one statement finds and locks it)."""
        return self._lock(db.select(Case).join(WorkItem, WorkItem.case_id == Case.id)
                          .where(WorkItem.id == str(item_id)), "no such work item")

    def lock_many(self, case_ids) -> list[Case]:
        """Several cases (a batch of due deadlines), fresh and locked as by `lock`: on PostgreSQL
        one SELECT … FOR UPDATE for all of them (in id order), not one round trip per case."""
        case_ids = list(case_ids)
        if len(case_ids) < 2 or not self._has_row_locks():
            return [self.lock(case_id) for case_id in case_ids]
        found = {case.id: case for case in self.session.scalars(
            db.select(Case).where(Case.id.in_(case_ids)).order_by(Case.id)
            .with_for_update(of=Case).execution_options(populate_existing=True)).unique()}
        if len(found) != len(set(case_ids)):
            raise NotFound("case not found")
        self._locked += [case_id for case_id in case_ids if case_id not in self._locked]
        return [found[case_id] for case_id in case_ids]

    def _lock(self, query, not_found: str) -> Case:
        attempts = LOCK_ATTEMPTS if not self._locked else 1  # a batch never retries mid-way
        query = query.with_for_update(of=Case).execution_options(populate_existing=True)
        for _ in range(attempts):
            case = self.session.scalars(query).first()
            if case is None:
                raise NotFound(not_found)
            if self._has_row_locks():  # FOR UPDATE holds the row until this transaction ends
                self._locked.append(case.id)
                return case
            case.updated_at = utcnow()
            try:
                self.session.flush()  # the version check: UPDATE … WHERE lock_version = seen
            except StaleDataError:
                self.session.rollback()
                continue
            self._locked.append(case.id)
            return case
        raise Conflict("someone else changed this case at the same time; reload and retry")

    def _has_row_locks(self) -> bool:
        return self.session.get_bind().dialect.name == "postgresql"

    def add_case(self, case: Case) -> Case:
        """A new case: inserted now, so that its rows can name it."""
        self.session.add(case)
        self.session.flush()
        self._locked.append(case.id)
        # a new case has no deadlines or work items yet: its first sync reads none from the database
        self.preloaded_deadlines[case.id], self.preloaded_items[case.id] = [], []
        return case

    def apply(self, case: Case, snapshot, *, completed_task_id: str | None = None) -> None:
        """Write what the engine says: the case's state, its work items, deadlines and breaches."""
        now = utcnow()
        case.workflow_state = snapshot.state_json
        case.updated_at = now
        case.phase = snapshot.ready_tasks[0].bpmn_id if snapshot.ready_tasks else None
        if snapshot.completed:
            case.status = "rejected" if snapshot.end_event == "rejected" else "closed"
            case.closed_at = case.closed_at or now
        with self.session.no_autoflush:
            derived_rows.sync(self, case, snapshot, now, completed_task_id)
            for effect in snapshot.effects:
                derived_rows.apply_effect(self, case, effect)

    # -- what a command leaves behind ----------------------------------------------------------

    def record(self, case: Case, kind: str, *, phase_before=None, phase_after=None,
               public: bool = False, detail: dict | None = None, system: bool = False) -> None:
        """An audit event of this command: by its actor, or by the system (timers, scripts)."""
        record_case_event(case, kind, None if system else self.actor,
                          phase_before=phase_before, phase_after=phase_after, public=public,
                          detail=detail)

    def notified(self, rows) -> None:
        """Outbox rows this command wrote, to be sent after commit."""
        if isinstance(rows, Notification):
            rows = [rows]
        self.announcements.notifications += [row for row in rows or [] if row is not None]

    def scheduled(self, deadline) -> None:
        """A deadline row created or moved: the scheduler hears of it after commit."""
        self.announcements.deadlines.append(deadline)


def _translate(error: BaseException) -> BaseException:
    """The service error a failure means for the caller, or the error itself."""
    if isinstance(error, StaleDataError):
        return Conflict("someone else changed this case at the same time; reload and retry")
    if isinstance(error, IntegrityError):
        log.info("integrity error in a case command, taken as a lost race: %s", error.orig)
        return Conflict("someone else changed this case at the same time; reload and retry")
    if isinstance(error, OperationalError) and "locked" in str(error.orig).lower():
        return Conflict("the case is busy; retry in a moment", code="busy")
    if isinstance(error, EngineError):
        return ServiceError(f"the process could not continue: {error}", code="process_error")
    return error
