"""Bulk moves to a newer version: the dry run (case by case), the run and its progress counts.

A run is a ProcessMove row: created (queued) by the designer's request, then worked through
case by case — each case in its own transaction (moving.move_case), a failure counted and
passed over — with its counts committed after every case, so a progress display can poll them.
Where it runs (RQ or a thread) is the caller's choice (timers.moves).
"""
from __future__ import annotations

import logging

from ...extensions import db
from ...models import Case, ProcessMove, ProcessVersion, utcnow
from ..administration.processes import element_label, require_designer
from ..errors import NotFound
from . import moving

log = logging.getLogger(__name__)

DEFAULT_PAGE = 50


def _case_filter(query, case_codes):
    codes = [c.strip() for c in case_codes or [] if c and c.strip()]
    return query.where(Case.tracking_code.in_(codes)) if codes else query


def _check_codes(case_codes) -> None:
    """Unknown tracking codes are bad input, not an empty result."""
    for code in case_codes or []:
        moving.case_by_code(code)


def dry_run(target, case_codes=None, page: int = 1, per_page: int = DEFAULT_PAGE) -> dict:
    """One page of the cases that would move: for each, its task now and whether it can move."""
    target = moving.target_of(target)
    _check_codes(case_codes)
    query = _case_filter(moving.movable_query(target), case_codes)
    total = db.session.scalar(db.select(db.func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    cases = db.session.scalars(query.order_by(Case.id).offset((page - 1) * per_page)
                               .limit(per_page)).all()
    specs: dict = {}
    numbers = dict(db.session.execute(db.select(ProcessVersion.id, ProcessVersion.version)).all())
    rows = []
    for case in cases:
        try:
            plan = moving.plan_case(case, target, specs)
            reasons = [_reason(b) for b in plan.reasons]
            can_move = plan.can_move
        except Exception as exc:  # a state that cannot be read cannot move; say so, go on
            log.warning("case %s: the move cannot be planned: %s", case.tracking_code, exc)
            can_move, reasons = False, [{"bpmn_id": None, "name": None, "state": "error",
                                         "change": "error", "text": str(exc)}]
        rows.append({"code": case.tracking_code, "case_id": case.id,
                     "from_version": numbers.get(case.process_version_id),
                     "task": case.phase,
                     "task_name": element_label(case.process_version_id, case.phase, default=case.phase or "")
                     if case.phase else "",
                     "can_move": can_move, "reasons": reasons})
    return {"to_version": target.version, "to_version_id": target.id, "total": total,
            "page": page, "pages": pages, "per_page": per_page, "cases": rows}


def _reason(block) -> dict:
    return {"bpmn_id": block.bpmn_id, "name": block.name, "state": block.state,
            "change": block.change, "attributes": list(block.attributes),
            "text": moving.describe(block)}


def create_run(target, actor=None, case_codes=None) -> ProcessMove:
    """A queued run over the cases that would move now; committed so it can be polled."""
    target = moving.target_of(target)
    _check_codes(case_codes)
    query = _case_filter(moving.movable_query(target), case_codes)
    total = db.session.scalar(db.select(db.func.count()).select_from(query.subquery())) or 0
    run = ProcessMove(to_version_id=target.id, started_by_id=getattr(actor, "id", None),
                      started_at=utcnow(), total=total, state="queued")
    db.session.add(run)
    db.session.commit()
    return run


def execute_run(run_id: int, case_codes=None, on_case=None) -> ProcessMove:
    """Work a run through: every case that would move, one transaction each, counts kept.

    `on_case(case_id, outcome, result_or_error)` hears of each case (the CLI prints them)."""
    from ...models import User
    run = db.session.get(ProcessMove, run_id)
    if run is None:
        raise NotFound("no such move run")
    target = moving.target_of(db.session.get(ProcessVersion, run.to_version_id))
    actor = db.session.get(User, run.started_by_id) if run.started_by_id else None
    case_ids = list(db.session.scalars(_case_filter(moving.movable_query(target), case_codes)
                                       .with_only_columns(Case.id).order_by(Case.id)))
    run.state, run.total = "running", len(case_ids)
    db.session.commit()
    specs: dict = {}
    for case_id in case_ids:
        column = _count_case(case_id, target, actor, run_id, specs, on_case)
        if column is None:
            continue
        db.session.execute(db.update(ProcessMove).where(ProcessMove.id == run_id)
                           .values({column: getattr(ProcessMove, column) + 1}))
        db.session.commit()
    db.session.execute(db.update(ProcessMove).where(ProcessMove.id == run_id).values(
        state="done", finished_at=utcnow()))
    db.session.commit()
    return db.session.get(ProcessMove, run_id)


def _count_case(case_id, target, actor, run_id, specs, on_case=None) -> str | None:
    """Move one case of a run; which counter it adds to (None: it no longer needed moving)."""
    try:
        result = moving.move_case(case_id, target, actor, run_id, specs)
    except Exception as exc:
        db.session.rollback()
        log.exception("move run %s: case %s could not be moved", run_id, case_id)
        if on_case is not None:
            on_case(case_id, "failed", exc)
        return "failed"
    if on_case is not None:
        on_case(case_id, result.outcome, result)
    if result.outcome == moving.SKIPPED:
        db.session.execute(db.update(ProcessMove).where(ProcessMove.id == run_id)
                           .values(total=ProcessMove.total - 1))
        return None
    return result.outcome  # 'moved' or 'blocked'



def progress(user, run_id: int) -> dict:
    """A run's counts, for the progress display (designers and admins)."""
    require_designer(user)
    return run_summary(run_id)


def run_summary(run_id: int) -> dict:
    """A run's counts and state as plain data."""
    run = db.session.get(ProcessMove, run_id)
    if run is None:
        raise NotFound("no such move run")
    version = db.session.get(ProcessVersion, run.to_version_id)
    return {"id": run.id, "to_version": version.version if version else None,
            "state": run.state, "total": run.total, "moved": run.moved,
            "blocked": run.blocked, "failed": run.failed,
            "done": run.moved + run.blocked + run.failed,
            "started_at": run.started_at.isoformat() if run.started_at else None,
            "finished_at": run.finished_at.isoformat() if run.finished_at else None}


def recent_runs(limit: int = 10) -> list[dict]:
    """The latest runs, newest first, for the moves page."""
    ids = db.session.scalars(db.select(ProcessMove.id).order_by(ProcessMove.id.desc()).limit(limit))
    return [run_summary(run_id) for run_id in ids]


def moved_cases(run_id: int, limit: int = 200) -> list[dict]:
    """The cases a run moved, with whether each move still stands (for the revert buttons)."""
    from ...models import CaseMove
    rows = db.session.execute(
        db.select(Case.tracking_code, Case.phase, CaseMove.moved_at, CaseMove.reverted_at,
                  Case.process_version_id, CaseMove.from_version_id, CaseMove.to_version_id)
        .join(Case, Case.id == CaseMove.case_id).where(CaseMove.run_id == run_id)
        .order_by(CaseMove.id).limit(limit)).all()
    numbers = dict(db.session.execute(db.select(ProcessVersion.id, ProcessVersion.version)).all())
    return [{"code": r.tracking_code, "task": r.phase, "moved_at": r.moved_at,
             "reverted_at": r.reverted_at, "from_version": numbers.get(r.from_version_id),
             "to_version": numbers.get(r.to_version_id),
             "can_revert": r.reverted_at is None and r.process_version_id == r.to_version_id}
            for r in rows]


def close_run(run_id: int) -> None:
    """Mark a run that broke off as done, so its progress display stops waiting."""
    db.session.rollback()
    db.session.execute(db.update(ProcessMove).where(ProcessMove.id == run_id).values(
        state="done", finished_at=utcnow()))
    db.session.commit()
