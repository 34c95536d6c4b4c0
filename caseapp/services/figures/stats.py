"""The leaders' figures: aggregate SQL over cases, assignments, deadlines and work items.

Nothing loads a case one by one and nothing touches the workflow engine. Figures about the
period (received, by category and district, trend, on time, returns, bounces, time per phase)
sum the daily rollup for its past days and add a small live query for today and for what
changed since the rollup (caseapp/services/figures/rollup.py and the modules named below);
figures about *now* (open, overdue, the worst open cases, urgent open) read only open rows,
from partial and composite indexes. A dashboard load is the same two dozen statements at a
hundred cases or a million (bench/dashboard.py).

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
- on time (duties.py): each duty due in the period is `on_time` when its task was completed by
  the due time, `late` when it was completed after it or is still open past it (of which
  `open_late` while the task is still open); a duty not yet due, or withdrawn before its due
  time without being done, is not counted. `agency` is null for the portal's phases.
- time per phase (durations.py): how long each task completed in the period stayed open
  (created → completed), median and 90th percentile — approximate to 9 % once the period
  includes rolled days (a log-scale histogram), exact otherwise.
"""
from __future__ import annotations

from datetime import datetime

from ...extensions import db
from ...models import Case, WorkItem, utcnow
from . import assignments, case_counts, duties, durations as durations_module, rollup
from .cuts import case_conditions as _case_conditions, cut_by_case as _cut_by_case
from .duties import duty_outcomes, rate  # noqa: F401  (shared with the exports)
from .filters import FigureFilters
from .rollup import Split

TOP_LIMIT = 10


# ---- open and overdue now -----------------------------------------------------------------------

def open_now(f: FigureFilters) -> dict:
    """Open cases now, by phase and by the agency holding them (None: at the portal)."""
    where = [Case.status == "open", *_case_conditions(f, held=False)]
    if f.agency_id is not None:
        where.append(Case.current_agency_id == f.agency_id)
    by_phase: dict = {}
    by_agency: dict = {}
    for phase, agency_id, count in db.session.execute(  # one pass (ix_case_open_phase_agency)
            db.select(Case.phase, Case.current_agency_id, db.func.count()).where(*where)
            .group_by(Case.phase, Case.current_agency_id)):
        by_phase[phase] = by_phase.get(phase, 0) + int(count)
        by_agency[agency_id] = by_agency.get(agency_id, 0) + int(count)
    return {"total": sum(by_phase.values()), "by_phase": by_phase, "by_agency": by_agency}


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
    by_phase: dict = {}
    by_agency: dict = {}
    for phase, agency_id, count in rows:
        by_phase[phase] = by_phase.get(phase, 0) + int(count)
        by_agency[agency_id] = by_agency.get(agency_id, 0) + int(count)
    return {"total": sum(by_phase.values()), "by_phase": by_phase, "by_agency": by_agency}


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


def urgent_open_cases(f: FigureFilters, limit: int = TOP_LIMIT) -> list[dict]:
    """The newest urgent reports still open (ix_case_urgent_status)."""
    rows = db.session.execute(
        db.select(Case.tracking_code, Case.phase, Case.current_agency_id, Case.category_id,
                  Case.created_at)
        .where(Case.urgent.is_(True), Case.status == "open", *_case_conditions(f))
        .order_by(Case.created_at.desc(), Case.id.desc()).limit(limit)).all()
    return [{"tracking_code": r.tracking_code, "phase": r.phase, "agency_id": r.current_agency_id,
             "category_id": r.category_id, "created_at": r.created_at} for r in rows]


# ---- one figure at a time (the live diagram, bench/dashboard.py) --------------------------------

def received(f: FigureFilters, now: datetime) -> dict:
    """Reports received in the period, and today / this week / this month (local time)."""
    return case_counts.case_figures(f, now, rollup.current_split())["received"]


def on_time(f: FigureFilters, now: datetime) -> list[dict]:
    """Per (phase, agency): duties due in the period met on time, late, and late still open."""
    return duties.on_time(f, now, rollup.current_split())


def returns(f: FigureFilters) -> list[dict]:
    """Per agency: reports it received and returned in the period (late returns among them)."""
    return assignments.returns(f, rollup.current_split())


def bounces(f: FigureFilters) -> list[dict]:
    """Where returned reports went next: (from agency, to agency or None yet), how many times."""
    return assignments.bounces(f, rollup.current_split())


def durations(f: FigureFilters) -> list[dict]:
    """Per phase: tasks completed in the period, median and 90th percentile of their time open."""
    return durations_module.durations(f, rollup.current_split())[0]


def by_category(f: FigureFilters) -> dict:
    """Reports received in the period per category: received, still open, closed."""
    return case_counts.case_figures(f, utcnow(), rollup.current_split())["by_category"]


def by_district(f: FigureFilters) -> dict:
    """Reports received in the period per district (None: the reporter named none)."""
    return case_counts.case_figures(f, utcnow(), rollup.current_split())["by_district"]


def trend(f: FigureFilters) -> dict:
    """Received and closed per local day of the period, and per week (Monday to Sunday)."""
    return case_counts.case_figures(f, utcnow(), rollup.current_split())["trend"]


def urgent(f: FigureFilters, limit: int = TOP_LIMIT) -> dict:
    """Urgent reports: received in the period, open now, and the newest open ones."""
    counts = case_counts.case_figures(f, utcnow(), rollup.current_split())
    return {"received": counts["urgent_received"], "open": counts["urgent_open"],
            "open_cases": urgent_open_cases(f, limit)}


# ---- all of it ----------------------------------------------------------------------------------

def all_figures(f: FigureFilters, now: datetime | None = None, split: Split | None = None) -> dict:
    """Every figure of the dashboard for these (already scoped) filters, as plain data."""
    now = now or utcnow()
    split = split or rollup.current_split()
    counts = case_counts.case_figures(f, now, split)
    times, approximate = durations_module.durations(f, split)
    return {"now": now, "filters": f, "received": counts["received"], "open": open_now(f),
            "overdue": overdue_now(f, now), "on_time": duties.on_time(f, now, split),
            "returns": assignments.returns(f, split), "bounces": assignments.bounces(f, split),
            "durations": times, "durations_approximate": approximate,
            "by_category": counts["by_category"], "by_district": counts["by_district"],
            "trend": counts["trend"],
            "urgent": {"received": counts["urgent_received"], "open": counts["urgent_open"],
                       "open_cases": urgent_open_cases(f)},
            "worst_open": worst_open(f, now)}


def dashboard_figures(f: FigureFilters, now: datetime | None = None) -> dict:
    """What a dashboard request shows: the rollup caught up first (a single read when it is
    up to date: once a day it rolls the day before), then every figure."""
    now = now or utcnow()
    rollup.catch_up(now)
    return all_figures(f, now)
