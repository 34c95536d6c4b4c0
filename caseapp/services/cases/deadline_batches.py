"""Firing due deadlines in batches, so that a burst of simultaneous deadlines drains quickly.

Each batch claims up to `batch_size` cases that have a due pending deadline with
`SELECT ... FOR UPDATE OF case_file SKIP LOCKED` (PostgreSQL; SQLite has no row locks and relies
on the case's optimistic `lock_version`), fires them through the engine and commits once.
Workers draining at the same time therefore take disjoint cases instead of queueing on the same
row locks. If anything in a batch fails, the batch is rolled back and its deadlines are fired
one by one with `deadlines.fire_deadline`, which handles each case's errors on its own.
Firing stays idempotent either way: a deadline that is no longer pending is never fired again.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime

from ...extensions import db
from ...models import Case, Deadline, utcnow
from .case_store import SaveResult, apply_snapshot, read_pending_deadlines
from .case_writes import CaseWrites, collecting
from .deadlines import fire_deadline
from ..administration.processes import runner_for
from ..administration.sla_settings import DueCalculator

log = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 50


@dataclass
class DrainResult:
    fired: int = 0
    batches: int = 0
    skipped: set[int] = field(default_factory=set)  # due deadlines the engine would not fire


def _claim(now: datetime, limit: int, exclude: set[int]) -> list[tuple[int, int]]:
    """(case id, deadline id) pairs of due pending deadlines on cases no one else holds."""
    query = (db.select(Case.id, Deadline.id).join(Deadline, Deadline.case_id == Case.id)
             .where(Deadline.state == "pending", Deadline.due_at <= now)
             .order_by(Deadline.due_at, Deadline.id).limit(limit)
             .with_for_update(of=Case, skip_locked=True))
    if exclude:
        query = query.where(Deadline.id.not_in(sorted(exclude)))
    return [(case_id, deadline_id) for case_id, deadline_id in db.session.execute(query)]


def fire_due_batch(now: datetime | None = None, batch_size: int = DEFAULT_BATCH_SIZE,
                   exclude: set[int] | None = None) -> tuple[int, list[int], set[int]]:
    """Fire one batch; returns (fired count, claimed deadline ids, claimed ids still pending)."""
    now = now or utcnow()
    exclude = exclude or set()
    db.session.rollback()
    claimed = _claim(now, batch_size, exclude)
    if not claimed:
        db.session.rollback()
        return 0, [], set()
    case_ids = list(dict.fromkeys(case_id for case_id, _ in claimed))
    deadline_ids = [deadline_id for _, deadline_id in claimed]
    batch = SaveResult()  # what the whole batch announces after its commit
    try:
        # The claim holds these rows' locks: load them in one query; each case's derived rows
        # are then written from what the engine says, without reading them first.
        cases = {case.id: case for case in db.session.scalars(
            db.select(Case).where(Case.id.in_(case_ids)).execution_options(populate_existing=True))}
        pending = read_pending_deadlines(case_ids)  # what their breaches record
        sla_due = DueCalculator()  # policies and calendar read once for the batch's transaction
        saved_results = []
        # every case's row writes and audit events go out together, then one flush writes the
        # case rows, breaches and notifications of the whole batch
        with db.session.no_autoflush, collecting(CaseWrites(), *case_ids) as writes:
            for case_id in case_ids:
                case = cases[case_id]
                snapshot = runner_for(case.process_version_id, sla_due).fire_due_timers(
                    case.workflow_state)
                saved_results.append(apply_snapshot(case, snapshot, writes=writes,
                                                    pending_deadlines=pending))
            writes.send()
        db.session.flush()
        batch.deadline_ids += writes.sent_deadline_ids
        for saved in saved_results:
            batch.deadline_ids += saved.deadline_ids
            batch.notification_rows += saved.notification_rows
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.info("a batch of %d case(s) failed; firing its deadlines one by one", len(case_ids),
                 exc_info=True)
        for deadline_id in deadline_ids:
            try:
                fire_deadline(deadline_id)  # announces its own changes after its own commit
            except Exception:
                db.session.rollback()
                log.exception("deadline %s could not be fired; the sweep will retry", deadline_id)
    else:
        batch.announce()
    states = dict(db.session.execute(db.select(Deadline.id, Deadline.state)
                                     .where(Deadline.id.in_(deadline_ids))).all())
    db.session.rollback()
    fired = sum(1 for deadline_id in deadline_ids if states.get(deadline_id) == "fired")
    still_pending = {deadline_id for deadline_id in deadline_ids
                     if states.get(deadline_id) == "pending"}
    return fired, deadline_ids, still_pending


def drain_due(max_seconds: float = 30.0, batch_size: int = DEFAULT_BATCH_SIZE,
              now_fn=utcnow) -> DrainResult:
    """Fire due deadlines batch after batch until none is left or the time budget is spent."""
    result = DrainResult()
    started = time.monotonic()
    while time.monotonic() - started < max_seconds:
        fired, claimed, still_pending = fire_due_batch(now_fn(), batch_size, result.skipped)
        if not claimed:
            break
        result.fired += fired
        result.batches += 1
        # A due deadline the engine did not fire (an engine error, or its timer moved) must not
        # be claimed again by this drain: the next sweep retries it.
        due_still = {d for d in still_pending if _is_due(d, now_fn())}
        result.skipped |= due_still
    return result


def _is_due(deadline_id: int, now: datetime) -> bool:
    due = db.session.scalar(db.select(Deadline.due_at).where(Deadline.id == deadline_id,
                                                             Deadline.state == "pending"))
    db.session.rollback()
    return due is not None and due <= now
