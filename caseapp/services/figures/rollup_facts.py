"""What the daily rollup stores for a run of local days: one aggregate query per fact family,
at the finest cut (category and district), then summed in Python into the four grains.

Each function takes the first and last local day and the watermark (the instant the rollup is
as of: only facts before it, and facts that can still change only once settled before it) and
returns
{model: [row dicts]} ready to insert. See caseapp/models/figures.py for what each row means.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from ...extensions import db
from ...models import Case, CaseAssignment, WorkItem
from ...models.figures import (DailyAssignments, DailyBounces, DailyCases, DailyDurations,
                               DailyDuties)
from .filters import local_midnight
from .histogram import bucket_sql
from .sql import as_date, counted, local_day, seconds_between

GRAINS = (0, 1, 2, 3)  # none, category, district, both


def _cuts(grain: int, category_id, district_id) -> tuple:
    return (category_id if grain & 1 else None, district_id if grain & 2 else None)


def _cube(rows, sums: tuple[str, ...], extremes: tuple[str, ...] = ()) -> list[dict]:
    """Rows {day, category_id, district_id, <keys>, <sums>, <extremes>} at the finest cut, summed
    into every grain (min/max kept for the extremes: (min_name, max_name) pairs)."""
    cells: dict = {}
    for row in rows:
        rest = tuple(sorted((k, v) for k, v in row.items()
                            if k not in sums and k not in extremes
                            and k not in ("day", "category_id", "district_id")))
        for grain in GRAINS:
            key = (row["day"], grain, *_cuts(grain, row["category_id"], row["district_id"]), rest)
            cell = cells.get(key)
            if cell is None:
                cells[key] = dict(row, grain=grain, category_id=key[2], district_id=key[3])
                continue
            for name in sums:
                cell[name] += row[name]
            for low, high in zip(extremes[::2], extremes[1::2]):
                cell[low] = min(cell[low], row[low])
                cell[high] = max(cell[high], row[high])
    return list(cells.values())


def _window(first: date, last: date, watermark: datetime) -> tuple[datetime, datetime]:
    """The instants of these days before the watermark (today may be rolled only so far)."""
    return local_midnight(first), min(local_midnight(last + timedelta(days=1)), watermark)


def _first_hold():
    """An assignment that is the first of its case to its agency (a case held twice counts once)."""
    earlier = db.aliased(CaseAssignment)
    return ~db.select(earlier.id).where(
        earlier.case_id == CaseAssignment.case_id, earlier.agency_id == CaseAssignment.agency_id,
        earlier.seq < CaseAssignment.seq).exists()


# ---- cases: received, settled statuses, closed per day -------------------------------------------

def case_rows(first: date, last: date, watermark: datetime) -> list[dict]:
    """daily_cases rows: for every case and for each agency among those that held it."""
    start, end = _window(first, last, watermark)
    settled = db.and_(Case.status != "open", Case.closed_at < watermark)
    created_day, closed_day = local_day(Case.created_at), local_day(Case.closed_at)
    cut = (Case.category_id, Case.district_id)
    created_sums = (db.func.count(), counted(db.and_(settled, Case.status == "closed")),
                    counted(db.and_(settled, Case.status == "rejected")),
                    counted(db.and_(settled, Case.urgent.is_(True))))
    cells: dict = defaultdict(lambda: {"received": 0, "closed": 0, "rejected": 0, "urgent": 0,
                                       "closed_on": 0})
    held = [CaseAssignment.assigned_at < watermark, _first_hold()]
    for scoped in (False, True):
        agency = CaseAssignment.agency_id if scoped else db.null()
        created = (db.select(created_day, agency, *cut, *created_sums)
                   .where(Case.created_at >= start, Case.created_at < end))
        closed = (db.select(closed_day, agency, *cut, db.func.count())
                  .where(Case.closed_at >= start, Case.closed_at < end,
                         Case.closed_at < watermark, Case.status != "open"))
        if scoped:
            created = created.join(CaseAssignment, CaseAssignment.case_id == Case.id).where(*held)
            closed = closed.join(CaseAssignment, CaseAssignment.case_id == Case.id).where(*held)
        group = (created_day, *(() if not scoped else (agency,)), *cut)
        for day, agency_id, category_id, district_id, n, n_closed, n_rejected, n_urgent in \
                db.session.execute(created.group_by(*group)):
            cell = cells[(as_date(day), agency_id, category_id, district_id)]
            cell.update(received=int(n), closed=int(n_closed), rejected=int(n_rejected),
                        urgent=int(n_urgent))
        group = (closed_day, *(() if not scoped else (agency,)), *cut)
        for day, agency_id, category_id, district_id, n in db.session.execute(closed.group_by(*group)):
            cells[(as_date(day), agency_id, category_id, district_id)]["closed_on"] = int(n)
    rows = [{"day": day, "agency_id": agency_id, "category_id": category_id,
             "district_id": district_id, **values}
            for (day, agency_id, category_id, district_id), values in cells.items()]
    return _cube(rows, ("received", "closed", "rejected", "urgent", "closed_on"))


# ---- duties: met or late, once finished ------------------------------------------------------------

def duty_rows(first: date, last: date, watermark: datetime) -> list[dict]:
    """daily_duties rows: duties due on these days (future ones too) whose task was finished
    before the watermark."""
    start, end = local_midnight(first), local_midnight(last + timedelta(days=1))
    day = local_day(WorkItem.due_at)
    met = counted(db.and_(WorkItem.state == "completed", WorkItem.completed_at <= WorkItem.due_at))
    late = counted(WorkItem.completed_at > WorkItem.due_at)
    query = (db.select(day, WorkItem.bpmn_id, WorkItem.agency_id, Case.category_id,
                       Case.district_id, met, late)
             .join(Case, Case.id == WorkItem.case_id)
             .where(WorkItem.due_at >= start, WorkItem.due_at < end, WorkItem.state != "open",
                    WorkItem.completed_at < watermark)
             .group_by(day, WorkItem.bpmn_id, WorkItem.agency_id, Case.category_id,
                       Case.district_id))
    rows = [{"day": as_date(d), "phase": phase, "agency_id": agency_id, "category_id": c,
             "district_id": x, "met": int(m), "late": int(n)}
            for d, phase, agency_id, c, x, m, n in db.session.execute(query) if m or n]
    return _cube(rows, ("met", "late"))


# ---- assignments: handed to an agency, handed back; where returns went next -----------------------

def assignment_rows(first: date, last: date, watermark: datetime) -> list[dict]:
    """daily_assignments rows: assignments made, and returns made, on these days."""
    start, end = _window(first, last, watermark)
    cells: dict = defaultdict(lambda: {"assigned": 0, "returned": 0, "late_returns": 0})
    cut = (Case.category_id, Case.district_id)
    assigned_day = local_day(CaseAssignment.assigned_at)
    for day, agency_id, c, x, n in db.session.execute(
            db.select(assigned_day, CaseAssignment.agency_id, *cut, db.func.count())
            .join(Case, Case.id == CaseAssignment.case_id)
            .where(CaseAssignment.assigned_at >= start, CaseAssignment.assigned_at < end)
            .group_by(assigned_day, CaseAssignment.agency_id, *cut)):
        cells[(as_date(day), agency_id, c, x)]["assigned"] = int(n)
    returned_day = local_day(CaseAssignment.outcome_at)
    for day, agency_id, c, x, n, n_late in db.session.execute(
            db.select(returned_day, CaseAssignment.agency_id, *cut, db.func.count(),
                      counted(CaseAssignment.late_return.is_(True)))
            .join(Case, Case.id == CaseAssignment.case_id)
            .where(CaseAssignment.outcome == "returned", CaseAssignment.outcome_at >= start,
                   CaseAssignment.outcome_at < end)
            .group_by(returned_day, CaseAssignment.agency_id, *cut)):
        cells[(as_date(day), agency_id, c, x)].update(returned=int(n), late_returns=int(n_late))
    rows = [{"day": day, "agency_id": agency_id, "category_id": c, "district_id": x, **values}
            for (day, agency_id, c, x), values in cells.items()]
    return _cube(rows, ("assigned", "returned", "late_returns"))


def bounce_rows(first: date, last: date, watermark: datetime) -> list[dict]:
    """daily_bounces rows: returns made on these days and the agency sent to next before the
    watermark (none yet: null)."""
    start, end = _window(first, last, watermark)
    following = db.aliased(CaseAssignment)
    day = local_day(CaseAssignment.outcome_at)
    query = (db.select(day, CaseAssignment.agency_id, following.agency_id, Case.category_id,
                       Case.district_id, db.func.count())
             .join(Case, Case.id == CaseAssignment.case_id)
             .outerjoin(following, db.and_(following.case_id == CaseAssignment.case_id,
                                           following.seq == CaseAssignment.seq + 1,
                                           following.assigned_at < watermark))
             .where(CaseAssignment.outcome == "returned", CaseAssignment.outcome_at >= start,
                    CaseAssignment.outcome_at < end)
             .group_by(day, CaseAssignment.agency_id, following.agency_id, Case.category_id,
                       Case.district_id))
    rows = [{"day": as_date(d), "from_agency_id": a, "to_agency_id": b, "category_id": c,
             "district_id": x, "returns": int(n)}
            for d, a, b, c, x, n in db.session.execute(query)]
    return _cube(rows, ("returns",))


# ---- durations: tasks completed, per log-scale bucket ------------------------------------------------

def duration_rows(first: date, last: date, watermark: datetime) -> list[dict]:
    """daily_durations rows: tasks completed on these days, per duration bucket."""
    start, end = _window(first, last, watermark)
    day = local_day(WorkItem.completed_at)
    secs = seconds_between(WorkItem.created_at, WorkItem.completed_at)
    bucket = bucket_sql(secs)
    query = (db.select(day, WorkItem.bpmn_id, WorkItem.agency_id, Case.category_id,
                       Case.district_id, bucket, db.func.count(), db.func.min(secs),
                       db.func.max(secs))
             .join(Case, Case.id == WorkItem.case_id)
             .where(WorkItem.state == "completed", WorkItem.completed_at >= start,
                    WorkItem.completed_at < end)
             .group_by(day, WorkItem.bpmn_id, WorkItem.agency_id, Case.category_id,
                       Case.district_id, bucket))
    rows = [{"day": as_date(d), "phase": phase, "agency_id": agency_id, "category_id": c,
             "district_id": x, "bucket": int(b), "tasks": int(n), "min_seconds": float(lo),
             "max_seconds": float(hi)}
            for d, phase, agency_id, c, x, b, n, lo, hi in db.session.execute(query)]
    return _cube(rows, ("tasks",), ("min_seconds", "max_seconds"))


FAMILIES = {DailyCases: case_rows, DailyDuties: duty_rows, DailyAssignments: assignment_rows,
            DailyBounces: bounce_rows, DailyDurations: duration_rows}
