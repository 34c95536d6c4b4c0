"""Firing deadlines: one path for the embedded sweeper, the CLI and RQ.

The deadline row is the truth; firing is idempotent under the case lock. Due deadlines are
fired case by case in batches: a batch claims up to `batch_size` cases that have a due pending
deadline (on PostgreSQL with FOR UPDATE … SKIP LOCKED, so that workers draining at the same time
take disjoint cases), fires their due timers through the engine and commits once, as one case
unit of work. One deadline is a batch of one. If a batch fails, its cases are fired one by one,
each in its own unit of work, so that one broken case never holds back the others.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime

from ...extensions import db
from ...models import Case, Deadline, utcnow
from ..administration.processes import runner_for
from ..administration.sla_settings import DueCalculator
from ..errors import ServiceError
from . import derived_rows
from .unit_of_work import CaseUnitOfWork

log = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 50


@dataclass
class DrainResult:
    """What a drain did: deadlines fired, batches run, due deadlines it had to leave."""

    fired: int = 0
    batches: int = 0
    skipped: set[int] = field(default_factory=set)


def pending_due_at(deadline_id: int) -> datetime | None:
    """When a pending deadline is due; None once it fired, was cancelled or is gone."""
    due = db.session.scalar(db.select(Deadline.due_at).where(Deadline.id == deadline_id,
                                                             Deadline.state == "pending"))
    db.session.rollback()
    return due


def pending_due_times(ids) -> list[tuple[int, datetime]]:
    """(id, due time) of the pending deadlines among these ids: what the scheduler wakes for."""
    rows = db.session.execute(db.select(Deadline.id, Deadline.due_at).where(
        Deadline.id.in_(list(ids)), Deadline.state == "pending")).all()
    # It runs right after a command committed: end this read without a rollback, which would
    # expire every object the request holds (the case it answers with, the user) and have them
    # read again; nothing is pending, and the session keeps objects on commit (expire_on_commit).
    db.session.commit()
    return [tuple(row) for row in rows]


def pending_after(last_id: int, limit: int) -> list[tuple[int, datetime]]:
    """(id, due time) of pending deadlines by id, a page at a time: the sweep's checklist."""
    rows = db.session.execute(db.select(Deadline.id, Deadline.due_at).where(
        Deadline.state == "pending", Deadline.id > last_id).order_by(Deadline.id).limit(limit)).all()
    db.session.rollback()
    return [tuple(row) for row in rows]


def _due_claim(now: datetime, limit: int, exclude=()):
    """(case id, deadline id) of due pending deadlines on cases no other worker holds."""
    query = (db.select(Case.id, Deadline.id).join(Deadline, Deadline.case_id == Case.id)
             .where(Deadline.state == "pending", Deadline.due_at <= now)
             .order_by(Deadline.due_at, Deadline.id).limit(limit)
             .with_for_update(of=Case, skip_locked=True))
    if exclude:
        query = query.where(Deadline.id.not_in(sorted(exclude)))
    return query


def _fire_cases(uow: CaseUnitOfWork, case_ids) -> None:
    sla_due = DueCalculator()  # policies and calendar read once for the whole batch
    cases = uow.lock_many(case_ids)  # one statement (they are already claimed FOR UPDATE)
    derived_rows.preload(uow, case_ids)  # the batch's rows in two queries, after the locks
    for case in cases:
        runner = runner_for(case.process_version_id, sla_due)
        uow.apply(case, runner.fire_due_timers(case.workflow_state))


def fire_case_deadlines(case_id: int) -> int:
    """Fire every due timer of one case, in its own unit of work; how many deadlines fired."""
    with CaseUnitOfWork() as uow:
        _fire_cases(uow, [case_id])
    return len(uow.fired)


def fire_deadline(deadline_id: int, now: datetime | None = None) -> int:
    """Fire a due deadline (and any other due timer of its case); how many this call fired."""
    now = now or utcnow()
    row = db.session.execute(db.select(Deadline.case_id).where(
        Deadline.id == deadline_id, Deadline.state == "pending", Deadline.due_at <= now)).first()
    db.session.rollback()
    if row is None:
        return 0
    try:
        return fire_case_deadlines(row.case_id)
    except ServiceError as exc:  # a conflict (another worker fired it) or a broken case
        log.info("deadline %s not fired now: %s", deadline_id, exc)
        return 0


def fire_due_batch(now: datetime | None = None, batch_size: int = DEFAULT_BATCH_SIZE,
                   exclude=()) -> tuple[int, list[int]]:
    """Fire one batch of due deadlines; (how many fired, the deadline ids it claimed)."""
    now = now or utcnow()
    with CaseUnitOfWork() as uow:
        claimed = uow.session.execute(_due_claim(now, batch_size, exclude)).all()
        case_ids = list(dict.fromkeys(case_id for case_id, _ in claimed))
        deadline_ids = [deadline_id for _, deadline_id in claimed]
        try:
            _fire_cases(uow, case_ids)
        except Exception as exc:
            uow.session.rollback()
            raise _BatchFailed(case_ids, deadline_ids) from exc
    return len(uow.fired), deadline_ids


class _BatchFailed(Exception):
    def __init__(self, case_ids, deadline_ids):
        super().__init__(f"a batch of {len(case_ids)} case(s) failed")
        self.case_ids, self.deadline_ids = case_ids, deadline_ids


def drain_due(max_seconds: float = 30.0, batch_size: int = DEFAULT_BATCH_SIZE,
              now_fn=utcnow) -> DrainResult:
    """Fire due deadlines batch after batch until none is left or the time budget is spent."""
    result = DrainResult()
    started = time.monotonic()
    while time.monotonic() - started < max_seconds:
        try:
            fired, claimed = fire_due_batch(now_fn(), batch_size, result.skipped)
        except _BatchFailed as failed:
            log.info("%s; firing them one by one", failed, exc_info=failed.__cause__)
            fired, claimed = _fire_one_by_one(failed.case_ids), failed.deadline_ids
        if not claimed:
            break
        result.fired += fired
        result.batches += 1
        # a due deadline the engine did not fire (a broken case, or its timer moved) is not
        # claimed again by this drain: the next sweep retries it
        result.skipped |= _still_due(claimed, now_fn())
    return result


def _fire_one_by_one(case_ids) -> int:
    fired = 0
    for case_id in case_ids:
        try:
            fired += fire_case_deadlines(case_id)
        except Exception:
            db.session.rollback()
            log.exception("case %s: its due deadlines could not be fired; the sweep retries", case_id)
    return fired


def _still_due(deadline_ids, now) -> set[int]:
    """Which of these deadlines are still pending and due."""
    due = set(db.session.scalars(db.select(Deadline.id).where(
        Deadline.id.in_(list(deadline_ids)), Deadline.state == "pending", Deadline.due_at <= now)))
    db.session.rollback()
    return due


def sweep(now: datetime | None = None, max_seconds: float = 300.0) -> int:
    """Fire everything due; safe to run in several processes at once."""
    return drain_due(max_seconds, now_fn=(lambda: now) if now else utcnow).fired
