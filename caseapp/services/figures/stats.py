"""The leaders' figures: aggregate SQL over cases, assignments, deadlines and work items.

Every figure is one GROUP BY (or a handful of sums) over indexed columns; nothing loads a case
one by one and nothing touches the workflow engine, so a dashboard load costs the same dozen
statements at a hundred cases or a million (bench/dashboard.py).

Definitions (the period is `FigureFilters.start`..`end`, local days):
- received: reports whose `created_at` falls in the window. With an agency filter, a case
  counts for the agency once the agency has held it (a `case_assignment` row); "open now" and
  "overdue now" then mean the cases *currently* at the agency / the agency's own late tasks.
- a *duty* is the deadline guarding the phase of its own task (`sla_due('handle')` on the
  `handle` task); its due time is on the task's work item (`work_item.due_at`, which derived_rows
  sets from that timer and keeps after it fires), so the figures read work items alone. A
  window on the task, such as the one-hour `return` window on the handling task, is not a duty
  and never appears in on-time figures. A task's phase is its BPMN id, as `case_file.phase`.
- overdue now: an open task past its duty's due time.
- on time: each duty due in the period is `on_time` when its task was completed by the due
  time, `late` when it was completed after it or is still open past it (of which `open_late`
  while the task is still open); a duty not yet due, or withdrawn before its due time without
  being done, is not counted. `agency` is null for the portal's phases.
- time per phase: how long each task completed in the period stayed open (created → completed),
  median and 90th percentile (PostgreSQL's percentile_cont; on SQLite the same interpolation
  from at most four rows per phase picked by window functions).
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from ...calendar.days import LOCAL_TZ
from ...extensions import db
from ...models import Case, CaseAssignment, WorkItem, utcnow
from .filters import FigureFilters, local_midnight, local_today

TOP_LIMIT = 10


# ---- shared conditions ------------------------------------------------------------------------

def _case_conditions(f: FigureFilters, *, held: bool = True) -> list:
    """Category and district on the case; with `held`, the agency must have held the case."""
    where = []
    if f.category_id is not None:
        where.append(Case.category_id == f.category_id)
    if f.district_id is not None:
        where.append(Case.district_id == f.district_id)
    if held and f.agency_id is not None:
        where.append(db.select(CaseAssignment.id).where(
            CaseAssignment.case_id == Case.id, CaseAssignment.agency_id == f.agency_id).exists())
    return where


def _cut_by_case(query, f: FigureFilters, case_id_column):
    """Join the case only when a category or district cut needs it (a join over every case in
    the period costs more than the figure itself)."""
    where = _case_conditions(f, held=False)
    if not where:
        return query
    return query.join(Case, Case.id == case_id_column).where(*where)


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _rows_to_counts(rows) -> dict:
    return {key: int(count or 0) for key, count in rows}


# ---- received ---------------------------------------------------------------------------------

def received(f: FigureFilters, now: datetime) -> dict:
    """Reports received in the period, and today / this week / this month (local time)."""
    today = local_today(now)
    day_start = local_midnight(today)
    week_start = local_midnight(today - timedelta(days=today.weekday()))
    month_start = local_midnight(today.replace(day=1))
    period = db.session.scalar(db.select(db.func.count()).select_from(Case).where(
        Case.created_at >= f.start, Case.created_at < f.end, *_case_conditions(f)))
    since = min(week_start, month_start)

    def since_(moment):
        return db.func.coalesce(db.func.sum(db.case((Case.created_at >= moment, 1), else_=0)), 0)

    day_n, week_n, month_n = db.session.execute(
        db.select(since_(day_start), since_(week_start), since_(month_start))
        .where(Case.created_at >= since, *_case_conditions(f))).one()
    return {"period": int(period or 0), "today": int(day_n), "week": int(week_n),
            "month": int(month_n)}


# ---- open and overdue now -----------------------------------------------------------------------

def open_now(f: FigureFilters) -> dict:
    """Open cases now, by phase and by the agency holding them (None: at the portal)."""
    where = [Case.status == "open", *_case_conditions(f, held=False)]
    if f.agency_id is not None:
        where.append(Case.current_agency_id == f.agency_id)
    by_phase: dict = defaultdict(int)
    by_agency: dict = defaultdict(int)
    for phase, agency_id, count in db.session.execute(  # one pass (ix_case_open_phase_agency)
            db.select(Case.phase, Case.current_agency_id, db.func.count()).where(*where)
            .group_by(Case.phase, Case.current_agency_id)):
        by_phase[phase] += int(count)
        by_agency[agency_id] += int(count)
    return {"total": sum(by_phase.values()), "by_phase": dict(by_phase),
            "by_agency": dict(by_agency)}


def _late_open_tasks(query, f: FigureFilters, now: datetime):
    """Open tasks past their duty's due time (ix_work_item_state_due), on cases within the cuts."""
    where = [WorkItem.state == "open", WorkItem.due_at < now]
    if f.agency_id is not None:
        where.append(WorkItem.agency_id == f.agency_id)
    return _cut_by_case(query.where(*where), f, WorkItem.case_id)


def overdue_now(f: FigureFilters, now: datetime) -> dict:
    """Cases with a late open task now, by the task's phase and by the agency owing it."""
    rows = db.session.execute(_late_open_tasks(
        db.select(WorkItem.bpmn_id, WorkItem.agency_id, db.func.count(db.distinct(WorkItem.case_id)))
        .group_by(WorkItem.bpmn_id, WorkItem.agency_id), f, now)).all()
    by_phase: dict = defaultdict(int)
    by_agency: dict = defaultdict(int)
    for phase, agency_id, count in rows:
        by_phase[phase] += int(count)
        by_agency[agency_id] += int(count)
    return {"total": sum(by_phase.values()), "by_phase": dict(by_phase),
            "by_agency": dict(by_agency)}


def worst_open(f: FigureFilters, now: datetime, limit: int = TOP_LIMIT) -> list[dict]:
    """The open cases furthest past a duty's due time, worst first (then their details)."""
    due = db.func.min(WorkItem.due_at).label("due_at")
    worst = db.session.execute(_late_open_tasks(
        db.select(WorkItem.case_id, due).group_by(WorkItem.case_id)
        .order_by(due, WorkItem.case_id).limit(limit), f, now)).all()
    cases = {r.id: r for r in db.session.execute(
        db.select(Case.id, Case.tracking_code, Case.phase, Case.current_agency_id,
                  Case.category_id, Case.urgent)
        .where(Case.id.in_([case_id for case_id, _ in worst])))} if worst else {}
    return [{"tracking_code": cases[case_id].tracking_code, "phase": cases[case_id].phase,
             "agency_id": cases[case_id].current_agency_id,
             "category_id": cases[case_id].category_id, "urgent": bool(cases[case_id].urgent),
             "due_at": due_at, "late_seconds": int((now - due_at).total_seconds())}
            for case_id, due_at in worst]


# ---- on time ----------------------------------------------------------------------------------

def duty_outcomes(now: datetime):
    """SQL (met, late, open_late) conditions on a work item against its duty's due time."""
    met = db.and_(WorkItem.state == "completed", WorkItem.completed_at <= WorkItem.due_at)
    open_late = db.and_(WorkItem.state == "open", WorkItem.due_at < now)
    late = db.or_(WorkItem.completed_at > WorkItem.due_at, open_late)
    return met, late, open_late


def on_time(f: FigureFilters, now: datetime) -> list[dict]:
    """Per (phase, agency): duties due in the period met on time, late, and late still open."""
    met, late, open_late = duty_outcomes(now)

    def total(condition):
        return db.func.coalesce(db.func.sum(db.case((condition, 1), else_=0)), 0)

    where = [WorkItem.due_at >= f.start, WorkItem.due_at < f.end]
    if f.agency_id is not None:
        where.append(WorkItem.agency_id == f.agency_id)
    query = (db.select(WorkItem.bpmn_id, WorkItem.agency_id, total(met), total(late),
                       total(open_late))
             .where(*where).group_by(WorkItem.bpmn_id, WorkItem.agency_id))
    rows = db.session.execute(_cut_by_case(query, f, WorkItem.case_id)).all()
    result = []
    for phase, agency_id, on_time_n, late_n, open_late_n in rows:
        on_time_n, late_n, open_late_n = int(on_time_n), int(late_n), int(open_late_n)
        if on_time_n + late_n == 0:
            continue
        result.append({"phase": phase, "agency_id": agency_id, "on_time": on_time_n,
                       "late": late_n, "open_late": open_late_n,
                       "rate": rate(on_time_n, on_time_n + late_n)})
    return result


def rate(part: int, whole: int) -> float | None:
    """A share rounded to four decimals; None when there is nothing to share."""
    return round(part / whole, 4) if whole else None


# ---- returns and the bounce map -----------------------------------------------------------------

def returns(f: FigureFilters) -> list[dict]:
    """Per agency: reports it received and returned in the period (late returns among them)."""
    assigned_where = [CaseAssignment.assigned_at >= f.start, CaseAssignment.assigned_at < f.end]
    returned_where = [CaseAssignment.outcome == "returned", CaseAssignment.outcome_at >= f.start,
                      CaseAssignment.outcome_at < f.end]
    if f.agency_id is not None:
        assigned_where.append(CaseAssignment.agency_id == f.agency_id)
        returned_where.append(CaseAssignment.agency_id == f.agency_id)
    assigned = _rows_to_counts(db.session.execute(_cut_by_case(
        db.select(CaseAssignment.agency_id, db.func.count())
        .where(*assigned_where).group_by(CaseAssignment.agency_id), f, CaseAssignment.case_id)))
    returned = {agency_id: (int(n), int(late or 0)) for agency_id, n, late in db.session.execute(
        _cut_by_case(
            db.select(CaseAssignment.agency_id, db.func.count(),
                      db.func.sum(db.case((CaseAssignment.late_return.is_(True), 1), else_=0)))
            .where(*returned_where).group_by(CaseAssignment.agency_id),
            f, CaseAssignment.case_id))}
    rows = []
    for agency_id in set(assigned) | set(returned):
        n_returned, n_late = returned.get(agency_id, (0, 0))
        rows.append({"agency_id": agency_id, "received": assigned.get(agency_id, 0),
                     "returned": n_returned, "late_returns": n_late,
                     "rate": rate(n_returned, assigned.get(agency_id, 0))})
    return sorted(rows, key=lambda r: (-r["returned"], -r["received"], r["agency_id"]))


def bounces(f: FigureFilters) -> list[dict]:
    """Where returned reports went next: (from agency, to agency or None yet), how many times."""
    following = db.aliased(CaseAssignment)
    where = [CaseAssignment.outcome == "returned", CaseAssignment.outcome_at >= f.start,
             CaseAssignment.outcome_at < f.end]
    if f.agency_id is not None:
        where.append(db.or_(CaseAssignment.agency_id == f.agency_id,
                            following.agency_id == f.agency_id))
    query = (db.select(CaseAssignment.agency_id, following.agency_id,
                       db.func.count())
             .outerjoin(following, db.and_(following.case_id == CaseAssignment.case_id,
                                           following.seq == CaseAssignment.seq + 1))
             .where(*where).group_by(CaseAssignment.agency_id, following.agency_id))
    rows = db.session.execute(_cut_by_case(query, f, CaseAssignment.case_id)).all()
    result = [{"from_agency_id": a, "to_agency_id": b, "count": int(n)} for a, b, n in rows]
    return sorted(result, key=lambda r: (-r["count"], r["from_agency_id"], r["to_agency_id"] or 0))


# ---- time per phase ------------------------------------------------------------------------------

def durations(f: FigureFilters) -> list[dict]:
    """Per phase: tasks completed in the period, median and 90th percentile of their time open."""
    where = [WorkItem.state == "completed", WorkItem.completed_at >= f.start,
             WorkItem.completed_at < f.end]
    if f.agency_id is not None:
        where.append(WorkItem.agency_id == f.agency_id)
    if _dialect() == "postgresql":
        found = _percentiles_postgresql(where, f)
    else:
        found = _percentiles_by_rank(where, f)
    return [{"phase": phase, "count": n, "median_seconds": _seconds(p50),
             "p90_seconds": _seconds(p90)} for phase, (n, p50, p90) in sorted(found.items())]


def _seconds(value) -> int | None:
    return None if value is None else int(round(float(value)))


def _percentiles_postgresql(where, f: FigureFilters) -> dict:
    secs = db.cast(db.func.extract("epoch", WorkItem.completed_at - WorkItem.created_at), db.Float)
    rows = db.session.execute(_cut_by_case(
        db.select(WorkItem.bpmn_id, db.func.count(),
                  db.func.percentile_cont(0.5).within_group(secs),
                  db.func.percentile_cont(0.9).within_group(secs))
        .where(*where).group_by(WorkItem.bpmn_id), f, WorkItem.case_id)).all()
    return {phase: (int(n), p50, p90) for phase, n, p50, p90 in rows}


QUANTILES = (0.5, 0.9)


def _percentiles_by_rank(where, f: FigureFilters) -> dict:
    """percentile_cont without the function: rank the durations per phase with window functions
    and fetch only the (at most four) rows the interpolation needs."""
    secs = (db.func.julianday(WorkItem.completed_at) - db.func.julianday(WorkItem.created_at)) * 86400.0
    ranked = _cut_by_case(
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


# ---- by category, by district, trend, urgent -------------------------------------------------------

def _received_by(column, f: FigureFilters) -> dict:
    rows = db.session.execute(
        db.select(column, db.func.count(),
                  db.func.sum(db.case((Case.status == "open", 1), else_=0)),
                  db.func.sum(db.case((Case.status == "closed", 1), else_=0)))
        .where(Case.created_at >= f.start, Case.created_at < f.end, *_case_conditions(f))
        .group_by(column)).all()
    return {key: {"received": int(n), "open": int(o or 0), "closed": int(c or 0)}
            for key, n, o, c in rows}


def by_category(f: FigureFilters) -> dict:
    """Reports received in the period per category: received, still open, closed."""
    return _received_by(Case.category_id, f)


def by_district(f: FigureFilters) -> dict:
    """Reports received in the period per district (None: the reporter named none)."""
    return _received_by(Case.district_id, f)


def _local_day(column):
    """The local calendar day of a UTC timestamp column, as SQL."""
    if _dialect() == "postgresql":
        return db.cast(db.func.timezone(str(LOCAL_TZ), column), db.Date)
    offset = int(datetime.now(LOCAL_TZ).utcoffset().total_seconds() // 3600)  # +7, no DST
    return db.func.date(column, f"{offset:+d} hours")


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def trend(f: FigureFilters) -> dict:
    """Received and closed per local day of the period, and per week (Monday to Sunday)."""
    received_day = _local_day(Case.created_at)
    closed_day = _local_day(Case.closed_at)
    received_rows = db.session.execute(
        db.select(received_day, db.func.count())
        .where(Case.created_at >= f.start, Case.created_at < f.end, *_case_conditions(f))
        .group_by(received_day)).all()
    closed_rows = db.session.execute(
        db.select(closed_day, db.func.count())
        .where(Case.closed_at >= f.start, Case.closed_at < f.end, *_case_conditions(f))
        .group_by(closed_day)).all()
    received_by = {_as_date(day): int(n) for day, n in received_rows}
    closed_by = {_as_date(day): int(n) for day, n in closed_rows}
    days, weeks = [], {}
    day = f.first_day
    while day <= f.last_day:
        row = {"day": day, "received": received_by.get(day, 0), "closed": closed_by.get(day, 0)}
        days.append(row)
        monday = day - timedelta(days=day.weekday())
        week = weeks.setdefault(monday, {"week": monday, "received": 0, "closed": 0})
        week["received"] += row["received"]
        week["closed"] += row["closed"]
        day += timedelta(days=1)
    return {"day": days, "week": list(weeks.values())}


def urgent(f: FigureFilters, limit: int = TOP_LIMIT) -> dict:
    """Urgent reports: received in the period, open now, and the newest open ones."""
    where = [Case.urgent.is_(True), *_case_conditions(f)]
    received_n = db.session.scalar(db.select(db.func.count()).select_from(Case).where(
        *where, Case.created_at >= f.start, Case.created_at < f.end))
    open_where = [*where, Case.status == "open"]
    open_n = db.session.scalar(db.select(db.func.count()).select_from(Case).where(*open_where))
    rows = db.session.execute(
        db.select(Case.tracking_code, Case.phase, Case.current_agency_id, Case.category_id,
                  Case.created_at)
        .where(*open_where).order_by(Case.created_at.desc(), Case.id.desc()).limit(limit)).all()
    return {"received": int(received_n or 0), "open": int(open_n or 0),
            "open_cases": [{"tracking_code": r.tracking_code, "phase": r.phase,
                            "agency_id": r.current_agency_id, "category_id": r.category_id,
                            "created_at": r.created_at} for r in rows]}


# ---- all of it ----------------------------------------------------------------------------------

def all_figures(f: FigureFilters, now: datetime | None = None) -> dict:
    """Every figure of the dashboard for these (already scoped) filters, as plain data."""
    now = now or utcnow()
    return {"now": now, "filters": f, "received": received(f, now), "open": open_now(f),
            "overdue": overdue_now(f, now), "on_time": on_time(f, now), "returns": returns(f),
            "bounces": bounces(f), "durations": durations(f), "by_category": by_category(f),
            "by_district": by_district(f), "trend": trend(f), "urgent": urgent(f),
            "worst_open": worst_open(f, now)}
