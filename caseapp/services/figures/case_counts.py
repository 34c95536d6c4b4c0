"""Reports by the day they came in: received (in the period, today, this week, this month), by
category and by district (received, still open, closed), the trend per day, urgent received.

Past days come from daily_cases (caseapp/services/figures/rollup.py), summed at the grain the
filters need; the rest is live and small, all read from indexes:
- cases created at or after the watermark (today), by day, cut, status and urgency;
- cases closed at or after it: their status and urgency correct the rolled days they were
  created on, and they are the closed-per-day of today;
- urgent cases still open (their urgency may still change, so it is never rolled);
- with an agency filter, cases created earlier that the agency first held after the watermark.
With nothing rolled (a new installation, the tests) every figure is the live query over the
whole period, as exact as before.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from ...extensions import db
from ...models import Case, CaseAssignment
from ...models.figures import DailyCases
from .cuts import case_conditions
from .filters import FigureFilters, local_midnight, local_today
from .rolled import before_watermark, live_start, rolled_where
from .rollup import Split
from .sql import as_date, counted, local_day


def _windows(f: FigureFilters, now: datetime) -> dict:
    today = local_today(now)
    return {"period": (f.first_day, f.last_day), "today": (today, date.max),
            "week": (today - timedelta(days=today.weekday()), date.max),
            "month": (today.replace(day=1), date.max)}


def _inside(day: date, window) -> bool:
    return window[0] <= day <= window[1]


def _scope(f: FigureFilters):
    if f.agency_id is None:
        return DailyCases.agency_id.is_(None)
    return DailyCases.agency_id == f.agency_id


def case_figures(f: FigureFilters, now: datetime, split: Split) -> dict:
    """received, by_category, by_district, trend and urgent (received, open) for the filters."""
    windows = _windows(f, now)
    first = min(w[0] for w in windows.values())
    rolled = _rolled(f, split, windows, first)
    live = _live(f, split, local_midnight(first), (f.start, f.end))
    period = windows["period"]

    received = {name: rolled["windows"][name] + sum(
        n for day, *_rest, n in live["created"] + live["held"] if _inside(day, window))
        for name, window in windows.items()}

    urgent = rolled["urgent"] + live["urgent_open_rolled"]
    urgent += sum(n for day, _c, _x, _s, is_urgent, n in live["created"]
                  if is_urgent and _inside(day, period))
    urgent += sum(n for day, _closed, _c, _x, _s, is_urgent, before, n in live["closed"]
                  if is_urgent and before and _inside(day, period))

    by_cut = {"category": defaultdict(lambda: [0, 0, 0]), "district": defaultdict(lambda: [0, 0, 0])}
    for name, cells in by_cut.items():
        for key, n, n_closed, n_rejected in rolled[name]:
            cells[key][0] += int(n)
            cells[key][1] += int(n_closed)
            cells[key][2] += int(n_rejected)
    for day, category_id, district_id, status, _urgent, n in live["created"]:
        if _inside(day, period):
            _add(by_cut, category_id, district_id, n, **_by_status(status, n))
    for day, category_id, district_id, n in live["held"]:  # their status: in live["closed"]
        if _inside(day, period):
            _add(by_cut, category_id, district_id, n)
    for day, _closed, category_id, district_id, status, _urgent, before, n in live["closed"]:
        if before and _inside(day, period):  # created before the watermark, settled after it
            _add(by_cut, category_id, district_id, **_by_status(status, n))

    trend = _trend(f, rolled["trend"], live)
    return {"received": received, "urgent_received": urgent, "urgent_open": live["urgent_open"],
            "by_category": _as_figure(by_cut["category"]),
            "by_district": _as_figure(by_cut["district"]), "trend": trend}


def _add(by_cut, category_id, district_id, received: int = 0, closed: int = 0,
         rejected: int = 0) -> None:
    """Count cases into both cuts: received, closed and rejected (status now)."""
    for cells, key in ((by_cut["category"], category_id), (by_cut["district"], district_id)):
        cells[key][0] += received
        cells[key][1] += closed
        cells[key][2] += rejected


def _by_status(status: str, n: int) -> dict:
    return {"closed": n if status == "closed" else 0, "rejected": n if status == "rejected" else 0}


def _as_figure(cells) -> dict:
    return {key: {"received": n, "open": n - n_closed - n_rejected, "closed": n_closed}
            for key, (n, n_closed, n_rejected) in cells.items() if n}


def _trend(f: FigureFilters, rolled_rows, live) -> dict:
    received = defaultdict(int)
    closed = defaultdict(int)
    for day, n, n_closed in rolled_rows:
        received[as_date(day)] += int(n)
        closed[as_date(day)] += int(n_closed)
    for day, *_rest, n in live["created"] + live["held"]:
        received[day] += n
    for _created, day, _c, _x, _s, _u, _rolled, n in live["closed"]:
        closed[day] += n
    days, weeks = [], {}
    day = f.first_day
    while day <= f.last_day:
        row = {"day": day, "received": received.get(day, 0), "closed": closed.get(day, 0)}
        days.append(row)
        monday = day - timedelta(days=day.weekday())
        week = weeks.setdefault(monday, {"week": monday, "received": 0, "closed": 0})
        week["received"] += row["received"]
        week["closed"] += row["closed"]
        day += timedelta(days=1)
    return {"day": days, "week": list(weeks.values())}


# ---- the rolled part ------------------------------------------------------------------------------

def _rolled(f: FigureFilters, split: Split, windows: dict, first: date) -> dict:
    def between(window):
        return db.and_(DailyCases.day >= window[0], DailyCases.day <= window[1])

    period = windows["period"]
    sums = [db.func.coalesce(db.func.sum(db.case((between(w), DailyCases.received), else_=0)), 0)
            for w in windows.values()]
    sums.append(db.func.coalesce(db.func.sum(db.case((between(period), DailyCases.urgent),
                                                     else_=0)), 0))
    totals = db.session.execute(db.select(*sums).where(
        _scope(f), *rolled_where(DailyCases, f, split, first, date.max))).one()
    result = {"windows": dict(zip(windows, (int(n) for n in totals))), "urgent": int(totals[-1])}
    for name, column in (("category", DailyCases.category_id), ("district", DailyCases.district_id)):
        result[name] = db.session.execute(
            db.select(column, db.func.sum(DailyCases.received), db.func.sum(DailyCases.closed),
                      db.func.sum(DailyCases.rejected))
            .where(_scope(f), *rolled_where(DailyCases, f, split, *period, name))
            .group_by(column)).all()
    result["trend"] = db.session.execute(
        db.select(DailyCases.day, db.func.sum(DailyCases.received),
                  db.func.sum(DailyCases.closed_on))
        .where(_scope(f), *rolled_where(DailyCases, f, split, *period)).group_by(DailyCases.day)).all()
    return result


# ---- the live part --------------------------------------------------------------------------------

def _live(f: FigureFilters, split: Split, first: datetime, period: tuple) -> dict:
    created_day, closed_day = local_day(Case.created_at), local_day(Case.closed_at)
    cuts = case_conditions(f)
    created = [(as_date(d), c, x, s, bool(u), int(n)) for d, c, x, s, u, n in db.session.execute(
        db.select(created_day, Case.category_id, Case.district_id, Case.status, Case.urgent,
                  db.func.count())
        .where(Case.created_at >= live_start(first, split), *cuts)
        .group_by(created_day, Case.category_id, Case.district_id, Case.status, Case.urgent))]
    since = split.watermark or first
    rolled = (Case.created_at < split.watermark if split.watermark is not None
              else db.literal(False)).label("rolled")
    closed = [(as_date(d), as_date(cd), c, x, s, bool(u), bool(r), int(n))
              for d, cd, c, x, s, u, r, n in db.session.execute(
        db.select(created_day, closed_day, Case.category_id, Case.district_id, Case.status,
                  Case.urgent, rolled, db.func.count())
        .where(Case.closed_at >= since, Case.status != "open", *cuts)
        .group_by(created_day, closed_day, Case.category_id, Case.district_id, Case.status,
                  Case.urgent, rolled))]
    rolled_end = before_watermark(period[1], split)  # urgent still open, created on rolled days
    in_rolled = (db.and_(Case.created_at >= period[0], Case.created_at < rolled_end)
                 if rolled_end is not None else db.false())
    urgent_rolled, urgent_open = db.session.execute(
        db.select(counted(in_rolled), db.func.count())
        .where(Case.urgent.is_(True), Case.status == "open", *cuts)).one()
    return {"created": created, "closed": closed, "held": _held_after(f, split, first),
            "urgent_open_rolled": int(urgent_rolled), "urgent_open": int(urgent_open)}


def _held_after(f: FigureFilters, split: Split, first: datetime) -> list:
    """Cases created on rolled days that the filtered agency first held after the watermark."""
    watermark = split.watermark
    if f.agency_id is None or watermark is None:
        return []
    earlier = db.aliased(CaseAssignment)
    held_before = db.select(earlier.id).where(
        earlier.case_id == Case.id, earlier.agency_id == f.agency_id,
        earlier.assigned_at < watermark).exists()
    day = local_day(Case.created_at)
    rows = db.session.execute(
        db.select(day, Case.category_id, Case.district_id, db.func.count(db.distinct(Case.id)))
        .join(CaseAssignment, CaseAssignment.case_id == Case.id)
        .where(CaseAssignment.agency_id == f.agency_id, CaseAssignment.assigned_at >= watermark,
               Case.created_at >= first, Case.created_at < watermark, ~held_before,
               *case_conditions(f, held=False))
        .group_by(day, Case.category_id, Case.district_id)).all()
    return [(as_date(d), c, x, int(n)) for d, c, x, n in rows]
