"""Recomputing pending deadlines when the calendar or an SLA policy changes.

A deadline's duration depends on the regime (working day or day off) of the local day on which its
phase started, so declaring or withdrawing a day changes the deadlines that started on that day;
applying a new policy to running cases changes the pending deadlines of that phase. Each change is
written where the engine will see it (the timer's due time inside the workflow state, through
ProcessRunner.reschedule_timers), then into the deadline and work-item rows (apply_snapshot), and
into the case's audit trail; after commit the scheduler hears of the moved rows (new RQ jobs; the
old jobs find the row not yet due and do nothing). One transaction per case, under its lock.
"""
from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta, timezone

from caseapp.calendar.days import LOCAL_TZ
from caseapp.calendar.sla import due_at as sla_due_at

from ...extensions import db
from ...models import Deadline
from ..errors import NotFound, ServiceError
from ..administration.processes import runner_for
from ..administration.sla_settings import load_calendar, load_policies
from .unit_of_work import CaseUnitOfWork

log = logging.getLogger(__name__)

# A recomputation that moves a due time by less than this is no change: the stored due time was
# computed by the engine a few milliseconds before the row's started_at was stamped.
TOLERANCE = timedelta(seconds=1)


def local_day_bounds(day: date) -> tuple[datetime, datetime]:
    """[start, end) of a local (Asia/Ho_Chi_Minh) calendar day, in UTC."""
    start = datetime.combine(day, time.min, tzinfo=LOCAL_TZ)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=LOCAL_TZ)
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


def recompute_for_day(day: date) -> int:
    """Pending deadlines whose phase started on `day` follow its new regime; how many moved."""
    start, end = local_day_bounds(day)
    condition = (Deadline.started_at >= start) & (Deadline.started_at < end)
    return _recompute(condition, {"reason": "calendar", "day": day.isoformat()})


def recompute_for_phase(phase: str) -> int:
    """Pending deadlines of `phase` follow the new policy, from their phase start; how many moved."""
    return _recompute(Deadline.phase == phase, {"reason": "sla_policy", "phase": phase})


def _recompute(condition, reason: dict) -> int:
    case_ids = list(db.session.scalars(
        db.select(Deadline.case_id).where(Deadline.state == "pending", condition)
        .distinct().order_by(Deadline.case_id)))
    db.session.rollback()
    if not case_ids:
        return 0
    policies, calendar = load_policies(), load_calendar()
    db.session.rollback()
    moved = 0
    for case_id in case_ids:
        try:
            moved += _recompute_case(case_id, condition, policies, calendar, reason)
        except NotFound:
            continue
        except ServiceError as exc:  # a lost race retried in vain, or the engine refused
            log.warning("case %s: its deadlines were not recomputed: %s", case_id, exc)
    return moved


def _recompute_case(case_id: int, condition, policies, calendar, reason: dict) -> int:
    with CaseUnitOfWork() as uow:
        case = uow.lock(case_id)
        rows = list(uow.session.scalars(
            db.select(Deadline).where(Deadline.case_id == case_id, Deadline.state == "pending",
                                      condition).order_by(Deadline.id)))
        moves = {}
        for row in rows:
            policy = policies.get(row.phase)
            if policy is None:
                continue
            new_due = sla_due_at(row.started_at, policy, calendar)
            if abs(new_due - row.due_at) >= TOLERANCE:
                moves[row.timer_task_id] = (row, row.due_at, new_due)
        if not moves:
            return 0
        snapshot = runner_for(case.process_version_id).reschedule_timers(
            case.workflow_state, {task_id: new for task_id, (_, _, new) in moves.items()})
        phase = case.phase
        for row, _, new_due in moves.values():
            # the row follows now, so that a timer the move made due at once (and which the
            # engine fired in this very call) records its breach against the new due time
            row.due_at = new_due
            uow.scheduled(row)
        uow.apply(case, snapshot)
        for row, before, after in moves.values():
            uow.record(case, "deadline_recomputed", phase_before=phase, phase_after=case.phase,
                       system=True, detail={
                           **reason, "deadline_id": row.id, "phase": row.phase,
                           "started_at": row.started_at.astimezone(LOCAL_TZ).isoformat(),
                           "due_before": before.astimezone(LOCAL_TZ).isoformat(),
                           "due_after": after.astimezone(LOCAL_TZ).isoformat()})
    return len(moves)
