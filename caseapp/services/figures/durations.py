"""Time per phase: how long the tasks completed in the period stayed open (created → completed),
median and 90th percentile.

Completed tasks never change: past days come from daily_durations, a histogram on a fixed log
scale (caseapp/services/figures/histogram.py), and today's tasks are put in the same buckets
live; the percentiles are then approximate, within a bucket (9 %). When the period has nothing
rolled (a period of today only, a new installation) they are exact: PostgreSQL's
percentile_cont, or on SQLite the same interpolation from at most four rows per phase picked by
window functions.
"""
from __future__ import annotations

from collections import defaultdict

from ...extensions import db
from ...models import WorkItem
from ...models.figures import DailyDurations
from . import histogram
from .cuts import cut_by_case
from .filters import FigureFilters
from .rolled import live_start, rolled_where
from .rollup import Split
from .sql import dialect, seconds_between

QUANTILES = (0.5, 0.9)


def durations(f: FigureFilters, split: Split) -> tuple[list[dict], bool]:
    """Per phase: tasks completed in the period, median and 90th percentile of their time open;
    and whether the percentiles are approximate."""
    where = rolled_where(DailyDurations, f, split, f.first_day, f.last_day)
    if f.agency_id is not None:
        where.append(DailyDurations.agency_id == f.agency_id)
    histograms: dict = defaultdict(dict)
    for phase, bucket, n, shortest, longest in db.session.execute(
            db.select(DailyDurations.phase, DailyDurations.bucket, db.func.sum(DailyDurations.tasks),
                      db.func.min(DailyDurations.min_seconds), db.func.max(DailyDurations.max_seconds))
            .where(*where).group_by(DailyDurations.phase, DailyDurations.bucket)):
        histogram.merge(histograms[phase], bucket, n, shortest, longest)
    live = [WorkItem.state == "completed", WorkItem.completed_at >= live_start(f.start, split),
            WorkItem.completed_at < f.end]
    if f.agency_id is not None:
        live.append(WorkItem.agency_id == f.agency_id)
    if not histograms:
        found = (_percentiles_postgresql if dialect() == "postgresql" else _percentiles_by_rank)(live, f)
        return _rows(found), False
    secs = seconds_between(WorkItem.created_at, WorkItem.completed_at)
    bucket = histogram.bucket_sql(secs)
    for phase, b, n, shortest, longest in db.session.execute(cut_by_case(
            db.select(WorkItem.bpmn_id, bucket, db.func.count(), db.func.min(secs),
                      db.func.max(secs))
            .where(*live).group_by(WorkItem.bpmn_id, bucket), f, WorkItem.case_id)):
        histogram.merge(histograms[phase], b, n, shortest, longest)
    found = {}
    for phase, counts in histograms.items():
        n, (p50, p90) = histogram.percentiles(counts, QUANTILES)
        found[phase] = (n, p50, p90)
    return _rows(found), True


def _rows(found: dict) -> list[dict]:
    return [{"phase": phase, "count": n, "median_seconds": _seconds(p50),
             "p90_seconds": _seconds(p90)} for phase, (n, p50, p90) in sorted(found.items())]


def _seconds(value) -> int | None:
    return None if value is None else int(round(float(value)))


def _percentiles_postgresql(where, f: FigureFilters) -> dict:
    secs = seconds_between(WorkItem.created_at, WorkItem.completed_at)
    rows = db.session.execute(cut_by_case(
        db.select(WorkItem.bpmn_id, db.func.count(),
                  db.func.percentile_cont(0.5).within_group(secs),
                  db.func.percentile_cont(0.9).within_group(secs))
        .where(*where).group_by(WorkItem.bpmn_id), f, WorkItem.case_id)).all()
    return {phase: (int(n), p50, p90) for phase, n, p50, p90 in rows}


def _percentiles_by_rank(where, f: FigureFilters) -> dict:
    """percentile_cont without the function: rank the durations per phase with window functions
    and fetch only the (at most four) rows the interpolation needs."""
    secs = seconds_between(WorkItem.created_at, WorkItem.completed_at)
    ranked = cut_by_case(
        db.select(WorkItem.bpmn_id.label("phase"), secs.label("secs"),
                  (db.func.row_number().over(partition_by=WorkItem.bpmn_id, order_by=secs) - 1)
                  .label("rank"),
                  db.func.count().over(partition_by=WorkItem.bpmn_id).label("n"))
        .where(*where), f, WorkItem.case_id).subquery()
    wanted = []
    for q in QUANTILES:
        low = db.cast((ranked.c.n - 1) * q, db.Integer)
        wanted += [ranked.c.rank == low, ranked.c.rank == low + 1]
    rows = db.session.execute(db.select(ranked.c.phase, ranked.c.secs, ranked.c.rank, ranked.c.n)
                              .where(db.or_(*wanted))).all()
    values: dict = defaultdict(dict)
    counts = {}
    for phase, secs_value, rank_value, n in rows:
        values[phase][int(rank_value)] = float(secs_value)
        counts[phase] = int(n)
    result = {}
    for phase, n in counts.items():
        result[phase] = (n, *(_interpolate(values[phase], n, q) for q in QUANTILES))
    return result


def _interpolate(by_rank: dict, n: int, q: float) -> float:
    """PostgreSQL's percentile_cont: linear between the two ranks around (n - 1) * q."""
    position = (n - 1) * q
    low = int(position)
    if low + 1 >= n or position == low:
        return by_rank[low]
    return by_rank[low] + (position - low) * (by_rank[low + 1] - by_rank[low])
