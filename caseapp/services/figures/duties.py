"""On time per phase and agency: the duties due in the period, met, late, late and still open.

A duty's outcome is settled when its task is finished (completed or withdrawn): daily_duties
holds, per due day (future days too), the duties whose task was finished before the rollup's
watermark. Live, two indexed pieces: duties of open tasks already due (late, still open; an
open task not yet due counts nowhere), and duties whose task was finished since the watermark.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from ...extensions import db
from ...models import WorkItem
from ...models.figures import DailyDuties
from .cuts import cut_by_case
from .filters import FigureFilters
from .rolled import rolled_where
from .rollup import Split
from .sql import counted

FINISHED = ("completed", "cancelled")


def duty_outcomes(now: datetime):
    """SQL (met, late, open_late) conditions on a work item against its duty's due time."""
    met = db.and_(WorkItem.state == "completed", WorkItem.completed_at <= WorkItem.due_at)
    open_late = db.and_(WorkItem.state == "open", WorkItem.due_at < now)
    late = db.or_(WorkItem.completed_at > WorkItem.due_at, open_late)
    return met, late, open_late


def rate(part: int, whole: int) -> float | None:
    """A share rounded to four decimals; None when there is nothing to share."""
    return round(part / whole, 4) if whole else None


def on_time(f: FigureFilters, now: datetime, split: Split) -> list[dict]:
    """Per (phase, agency): duties due in the period met on time, late, and late still open."""
    counts: dict = defaultdict(lambda: [0, 0, 0])
    where = rolled_where(DailyDuties, f, split, f.first_day, f.last_day, every_day=True)
    if f.agency_id is not None:
        where.append(DailyDuties.agency_id == f.agency_id)
    for phase, agency_id, met, late in db.session.execute(
            db.select(DailyDuties.phase, DailyDuties.agency_id, db.func.sum(DailyDuties.met),
                      db.func.sum(DailyDuties.late))
            .where(*where).group_by(DailyDuties.phase, DailyDuties.agency_id)):
        counts[(phase, agency_id)][0] += int(met)
        counts[(phase, agency_id)][1] += int(late)
    for phase, agency_id, met, late, open_late in _live(f, now, split):
        cell = counts[(phase, agency_id)]
        cell[0] += int(met)
        cell[1] += int(late)
        cell[2] += int(open_late)
    result = []
    for (phase, agency_id), (met, late, open_late) in sorted(
            counts.items(), key=lambda item: (item[0][0], item[0][1] or 0)):
        if met + late == 0:
            continue
        result.append({"phase": phase, "agency_id": agency_id, "on_time": met, "late": late,
                       "open_late": open_late, "rate": rate(met, met + late)})
    return result


def _live(f: FigureFilters, now: datetime, split: Split):
    met, late, open_late = duty_outcomes(now)
    finished = [WorkItem.state.in_(FINISHED), WorkItem.due_at >= f.start, WorkItem.due_at < f.end]
    if split.watermark is not None:
        finished.append(WorkItem.completed_at >= split.watermark)
    pieces = [db.and_(WorkItem.state == "open", WorkItem.due_at >= f.start,
                      WorkItem.due_at < min(f.end, now)), db.and_(*finished)]
    rows = []
    for piece in pieces:  # one query each, so each reads its own index
        query = (db.select(WorkItem.bpmn_id, WorkItem.agency_id, counted(met), counted(late),
                           counted(open_late))
                 .where(piece).group_by(WorkItem.bpmn_id, WorkItem.agency_id))
        if f.agency_id is not None:
            query = query.where(WorkItem.agency_id == f.agency_id)
        rows += db.session.execute(cut_by_case(query, f, WorkItem.case_id)).all()
    return rows
