"""Moving one running case to a newer process version, and undoing that move.

A move goes through the case unit of work like any command: lock the case, let the engine
migrate its workflow state (engine.migration: a changed or removed task that is completed or
started blocks it), write the state and its derived rows, keep the state it had before in a
CaseMove row, record "process.moved" in its audit trail, commit. Pending deadlines keep their
due times (same timer, same task id); a timer the new version adds starts from the move.
A revert restores the previous state and version, refused once the case went on after the move.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from ...engine.migration import MovePlan, describe, move, plan_move  # noqa: F401  describe: re-exported
from ...extensions import db
from ...models import Case, CaseMove, ProcessVersion, WorkItem, utcnow
from ..administration.processes import MAIN_PROCESS, runner_for
from ..administration.script_functions import script_functions
from ..administration.sla_settings import DueCalculator
from ..errors import Conflict, NotFound, ValidationFailed
from .unit_of_work import CaseUnitOfWork

MOVED, BLOCKED, SKIPPED = "moved", "blocked", "skipped"


@dataclass(frozen=True)
class CaseMoveResult:
    """What happened to one case: moved, blocked (with the plan's reasons) or skipped."""

    code: str
    outcome: str
    plan: MovePlan | None = None
    detail: str = ""


@dataclass(frozen=True)
class Target:
    """The version cases move to, as plain values (safe across the commits of a run)."""

    id: int
    version: int
    process_id: str


def target_of(version) -> Target:
    """A Target from a ProcessVersion row (or a Target)."""
    if isinstance(version, Target):
        return version
    return Target(version.id, version.version, version.process_id)


def _sha256(text: str) -> str:
    return hashlib.sha256((text or "").encode("utf-8")).hexdigest()


def spec_of(version_id: int, specs: dict | None = None) -> str:
    """A version's stored spec; `specs` keeps them for the length of one run or dry run."""
    spec = specs.get(version_id) if specs is not None else None
    if spec is None:
        spec = db.session.scalar(db.select(ProcessVersion.spec_json).where(
            ProcessVersion.id == version_id))
        if spec is None:
            raise NotFound(f"process version {version_id} is gone")
        if specs is not None:
            specs[version_id] = spec
    return spec


def find_version(number, process_id: str = MAIN_PROCESS) -> Target:
    """A deployed version by its number (2, '2' or 'v2')."""
    text = str(number).strip().lower().removeprefix("v")
    if not text.isdigit():
        raise ValidationFailed(f"'{number}' is not a version number", {"to": ["not a number"]})
    version = db.session.scalars(db.select(ProcessVersion).where(
        ProcessVersion.process_id == process_id, ProcessVersion.version == int(text))).first()
    if version is None:
        raise NotFound(f"there is no version {text} of {process_id}")
    return target_of(version)


def movable_query(target):
    """Open cases with a running workflow on an older version of the target's process."""
    target = target_of(target)
    older = db.select(ProcessVersion.id).where(ProcessVersion.process_id == target.process_id,
                                               ProcessVersion.version < target.version)
    return (db.select(Case).where(Case.status == "open", Case.workflow_state != "",
                                  Case.process_version_id.in_(older)))


def plan_case(case: Case, target, specs: dict | None = None) -> MovePlan:
    """Whether this case can move to the target version (read only)."""
    return plan_move(case.workflow_state, spec_of(case.process_version_id, specs),
                     spec_of(target.id, specs))


def move_case(case_id: int, target, actor=None, run_id: int | None = None,
              specs: dict | None = None) -> CaseMoveResult:
    """Move one case in its own transaction; a blocked case is left as it is."""
    target = target_of(target)
    with CaseUnitOfWork(actor) as uow:
        case = uow.lock(case_id)
        code = case.tracking_code
        if case.status != "open" or not case.workflow_state or case.process_version_id == target.id:
            uow.session.rollback()
            return CaseMoveResult(code, SKIPPED, detail="not running on another version")
        from_version_id = case.process_version_id
        plan = plan_case(case, target, specs)
        if not plan.can_move:
            uow.session.rollback()  # nothing of a blocked case is written
            return CaseMoveResult(code, BLOCKED, plan)
        previous = case.workflow_state
        snapshot = move(previous, spec_of(from_version_id, specs), spec_of(target.id, specs),
                        script_functions(DueCalculator()))
        phase_before = case.phase
        case.process_version_id = target.id
        uow.apply(case, snapshot)
        _refresh_open_items(uow, case, snapshot)
        from_number = db.session.scalar(db.select(ProcessVersion.version).where(
            ProcessVersion.id == from_version_id))
        uow.session.add(CaseMove(case_id=case.id, run_id=run_id, from_version_id=from_version_id,
                                 to_version_id=target.id, previous_state=previous,
                                 moved_state_sha256=_sha256(snapshot.state_json),
                                 moved_at=utcnow(), actor_id=getattr(actor, "id", None)))
        uow.record(case, "process.moved", phase_before=phase_before, phase_after=case.phase,
                   detail={"from_version": from_number, "to_version": target.version,
                           "run": run_id})
    return CaseMoveResult(code, MOVED, plan)


def _refresh_open_items(uow, case: Case, snapshot) -> None:
    """Open work items take the name, form and queue their task has in the case's version."""
    uow.session.flush()
    ready = {task.task_id: task for task in snapshot.ready_tasks}
    for item in uow.session.scalars(db.select(WorkItem).where(
            WorkItem.case_id == case.id, WorkItem.state == "open")):
        task = ready.get(item.id)
        if task is not None:
            item.task_name, item.form_key, item.lane, item.queue = (
                task.name or "", task.form_key, task.lane, task.queue)


def last_move(case_id: int) -> CaseMove | None:
    """The case's latest move that was not reverted."""
    return db.session.scalars(db.select(CaseMove).where(
        CaseMove.case_id == case_id, CaseMove.reverted_at.is_(None))
        .order_by(CaseMove.moved_at.desc(), CaseMove.id.desc())).first()


def case_by_code(code: str) -> Case:
    """A case by its tracking code."""
    case = db.session.scalars(db.select(Case).where(Case.tracking_code == (code or "").strip())).first()
    if case is None:
        raise NotFound(f"there is no case {code}")
    return case


def revert(code: str, actor=None) -> Case:
    """Put a moved case back on the version and state it had, unless it went on since."""
    case_id = case_by_code(code).id
    with CaseUnitOfWork(actor) as uow:
        case = uow.lock(case_id)
        moved = last_move(case.id)
        if moved is None:
            raise Conflict("this case was not moved to another version, or its move was "
                           "already reverted", code="not_moved")
        if case.process_version_id != moved.to_version_id or \
                _sha256(case.workflow_state) != moved.moved_state_sha256:
            raise Conflict("the case changed after its move (a task was completed or a deadline "
                           "passed); the move can no longer be reverted", code="changed_since")
        snapshot = runner_for(moved.from_version_id).inspect(moved.previous_state)
        phase_before = case.phase
        case.process_version_id = moved.from_version_id
        uow.apply(case, snapshot)
        _refresh_open_items(uow, case, snapshot)
        moved.reverted_at, moved.reverted_by_id = utcnow(), getattr(actor, "id", None)
        numbers = dict(db.session.execute(db.select(ProcessVersion.id, ProcessVersion.version).where(
            ProcessVersion.id.in_([moved.from_version_id, moved.to_version_id]))).all())
        uow.record(case, "process.move_reverted", phase_before=phase_before,
                   phase_after=case.phase,
                   detail={"from_version": numbers.get(moved.to_version_id),
                           "to_version": numbers.get(moved.from_version_id)})
    return case

