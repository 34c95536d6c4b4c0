"""Returns per agency and where returned reports went next (the bounce map).

Assignments made and returns made never change once their day is over: past days come from
daily_assignments, the rest live. A return's next agency can come later: daily_bounces holds the
next agency as of the rollup's watermark (none yet: null), and the reports sent on since then
move from "not sent on yet" to their agency, read from the assignments made since the watermark.
"""
from __future__ import annotations

from collections import defaultdict

from ...extensions import db
from ...models import CaseAssignment
from ...models.figures import DailyAssignments, DailyBounces
from .cuts import cut_by_case
from .duties import rate
from .filters import FigureFilters
from .rolled import before_watermark, live_start, rolled_where
from .rollup import Split
from .sql import counted


def returns(f: FigureFilters, split: Split) -> list[dict]:
    """Per agency: reports it received and returned in the period (late returns among them)."""
    counts: dict = defaultdict(lambda: [0, 0, 0])
    where = rolled_where(DailyAssignments, f, split, f.first_day, f.last_day)
    if f.agency_id is not None:
        where.append(DailyAssignments.agency_id == f.agency_id)
    for agency_id, assigned, returned, late in db.session.execute(
            db.select(DailyAssignments.agency_id, db.func.sum(DailyAssignments.assigned),
                      db.func.sum(DailyAssignments.returned),
                      db.func.sum(DailyAssignments.late_returns))
            .where(*where).group_by(DailyAssignments.agency_id)):
        counts[agency_id] = [int(assigned), int(returned), int(late)]
    start = live_start(f.start, split)
    agency = [] if f.agency_id is None else [CaseAssignment.agency_id == f.agency_id]
    for agency_id, n in db.session.execute(cut_by_case(
            db.select(CaseAssignment.agency_id, db.func.count())
            .where(CaseAssignment.assigned_at >= start, CaseAssignment.assigned_at < f.end, *agency)
            .group_by(CaseAssignment.agency_id), f, CaseAssignment.case_id)):
        counts[agency_id][0] += int(n)
    for agency_id, n, late in db.session.execute(cut_by_case(
            db.select(CaseAssignment.agency_id, db.func.count(),
                      counted(CaseAssignment.late_return.is_(True)))
            .where(CaseAssignment.outcome == "returned", CaseAssignment.outcome_at >= start,
                   CaseAssignment.outcome_at < f.end, *agency)
            .group_by(CaseAssignment.agency_id), f, CaseAssignment.case_id)):
        counts[agency_id][1] += int(n)
        counts[agency_id][2] += int(late)
    rows = [{"agency_id": agency_id, "received": received, "returned": returned,
             "late_returns": late, "rate": rate(returned, received)}
            for agency_id, (received, returned, late) in counts.items() if received or returned]
    return sorted(rows, key=lambda r: (-r["returned"], -r["received"], r["agency_id"]))


def bounces(f: FigureFilters, split: Split) -> list[dict]:
    """Where returned reports went next: (from agency, to agency or None yet), how many times."""
    counts: dict = defaultdict(int)
    where = rolled_where(DailyBounces, f, split, f.first_day, f.last_day)
    if f.agency_id is not None:
        where.append(db.or_(DailyBounces.from_agency_id == f.agency_id,
                            DailyBounces.to_agency_id == f.agency_id))
    for a, b, n in db.session.execute(
            db.select(DailyBounces.from_agency_id, DailyBounces.to_agency_id,
                      db.func.sum(DailyBounces.returns))
            .where(*where).group_by(DailyBounces.from_agency_id, DailyBounces.to_agency_id)):
        counts[(a, b)] += int(n)
    for a, b, n in _live_returns(f, split):
        counts[(a, b)] += int(n)
    for a, b, n in _sent_on_since(f, split):  # rolled as "not sent on yet"
        counts[(a, b)] += int(n)
        if f.agency_id is None or a == f.agency_id:
            counts[(a, None)] -= int(n)
    result = [{"from_agency_id": a, "to_agency_id": b, "count": n}
              for (a, b), n in counts.items() if n > 0]
    return sorted(result, key=lambda r: (-r["count"], r["from_agency_id"], r["to_agency_id"] or 0))


def _pair(f: FigureFilters, returned, following):
    query = (db.select(returned.agency_id, following.agency_id, db.func.count())
             .group_by(returned.agency_id, following.agency_id))
    if f.agency_id is not None:
        query = query.where(db.or_(returned.agency_id == f.agency_id,
                                   following.agency_id == f.agency_id))
    return query


def _live_returns(f: FigureFilters, split: Split):
    following = db.aliased(CaseAssignment)
    query = (_pair(f, CaseAssignment, following).select_from(CaseAssignment)
             .outerjoin(following, db.and_(following.case_id == CaseAssignment.case_id,
                                           following.seq == CaseAssignment.seq + 1))
             .where(CaseAssignment.outcome == "returned",
                    CaseAssignment.outcome_at >= live_start(f.start, split),
                    CaseAssignment.outcome_at < f.end))
    return db.session.execute(cut_by_case(query, f, CaseAssignment.case_id)).all()


def _sent_on_since(f: FigureFilters, split: Split):
    """Returns made on rolled days whose next assignment came at or after the watermark."""
    rolled_end = before_watermark(f.end, split)
    if rolled_end is None:
        return []
    returned = db.aliased(CaseAssignment)
    query = (_pair(f, returned, CaseAssignment).select_from(CaseAssignment)
             .join(returned, db.and_(returned.case_id == CaseAssignment.case_id,
                                     returned.seq == CaseAssignment.seq - 1))
             .where(CaseAssignment.assigned_at >= split.watermark, returned.outcome == "returned",
                    returned.outcome_at >= f.start, returned.outcome_at < rolled_end))
    return db.session.execute(cut_by_case(query, f, CaseAssignment.case_id)).all()
