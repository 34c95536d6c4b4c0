"""The dashboard's daily rollup: past local days summed once, kept exact without write hooks.

The rollup is "as of" its watermark W: a local midnight (the dashboard's catch-up), or a moment
of today a few minutes ago (the periodic job, which also rolls today so far). For each day up to
then it stores what was true at W (caseapp/models/figures.py); the figures add a live
query for everything at or after W. When W moves on (the periodic job every 10 minutes,
the dashboard's catch-up once a day, `flask figures rollup`), the new days (and the day of the
old W, rolled only partly) are rolled, and so are the past days
whose stored facts changed between the old and the new W — found from indexed timestamps, so no
command that changes a case has to know about the rollup:
- a case closed or rejected, or handed to an agency: its day of creation (daily_cases);
- a task finished (completed or withdrawn): its duty's due day, even a future one (daily_duties
  holds every duty whose task is finished, whenever it is due);
- a returned report sent on to another agency: the day of the return (daily_bounces).
Assignments made, returns and completed tasks (daily_assignments, daily_durations) never change
once their day is over. A day is rolled by deleting its rows and inserting them again, so
rolling twice gives the same rows, and two runs at once (a lock on the state row) do no harm.
Rows written into the past by other means (a data import, `seed-demo` moving history) need
`flask figures rollup --rebuild`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...models import Case, CaseAssignment, WorkItem, utcnow
from ...models.figures import (DailyBounces, DailyCases, DailyDuties, FiguresRollup,
                               DAILY_TABLES)
from .filters import local_midnight, local_today
from .rollup_facts import FAMILIES
from .sql import as_date, dialect, local_day

STATE_ID = 1
RUN_DAYS = 62  # days aggregated per query when rolling a long run (bounded memory)
INTRADAY_STEP = timedelta(minutes=10)  # how far behind the periodic job keeps the watermark


@dataclass(frozen=True)
class Split:
    """Where the rollup ends: facts before `watermark` are read from it, the rest live (None:
    nothing rolled, everything is live). The watermark is a local midnight, or a moment of today
    when the periodic job has rolled today so far; `rolled_through` is the last local day the
    rollup holds facts of (partly, for that day)."""

    watermark: datetime | None

    @property
    def rolled_through(self) -> date | None:
        if self.watermark is None:
            return None
        return local_today(self.watermark - timedelta(microseconds=1))


def current_split() -> Split:
    """How far the rollup goes (one primary-key read)."""
    return Split(db.session.scalar(db.select(FiguresRollup.watermark).where(
        FiguresRollup.id == STATE_ID)))


def _locked_state() -> FiguresRollup:
    """The state row, locked until commit (created on first use)."""
    query = db.select(FiguresRollup).where(FiguresRollup.id == STATE_ID)
    if dialect() == "postgresql":
        query = query.with_for_update()
    state = db.session.scalars(query).first()
    if state is None:
        try:
            with db.session.begin_nested():
                db.session.add(FiguresRollup(id=STATE_ID, watermark=None))
        except IntegrityError:  # made by a concurrent run meanwhile
            pass
        state = db.session.scalars(query).one()
    return state


def target(now: datetime | None = None, intraday: bool = False) -> datetime:
    """Where a catch-up moves the watermark: today's local midnight, or (intraday, the periodic
    job) the last INTRADAY_STEP boundary."""
    now = now or utcnow()
    if not intraday:
        return local_midnight(local_today(now))
    step = INTRADAY_STEP.total_seconds()
    return datetime.fromtimestamp(now.timestamp() // step * step, timezone.utc)


def catch_up(now: datetime | None = None, intraday: bool = False) -> int:
    """Roll what is missing up to today's local midnight (intraday: up to a few minutes ago);
    how many new days. Cheap when up to date: one read."""
    goal = target(now, intraday)
    done = current_split().watermark
    if done is not None and done >= goal:
        return 0
    return advance(goal)


def advance(watermark: datetime) -> int:
    """Move the watermark there, rolling what that changes; how many new days."""
    state = _locked_state()
    old = state.watermark
    if old is not None and old >= watermark:
        db.session.commit()
        return 0
    last = Split(watermark).rolled_through
    if old is None:
        first = db.session.scalar(db.select(db.func.min(Case.created_at)))
        if first is None or first >= watermark:  # no case yet: everything stays live
            db.session.commit()
            return 0
        new_days = _days(local_today(first), last)
        changed = {}
    else:
        new_days = _days(local_today(old), last)  # the old watermark's day: partly rolled
        changed = _changed_days(old, watermark)
    for table, function in FAMILIES.items():
        days = set(new_days)
        if table is DailyDuties:  # keyed by due day: a task finished early is due in the future
            days |= changed.get(table, set())
            if old is None:
                days |= set(_days(last, _last_due_day(watermark) or last))
        else:
            days |= {day for day in changed.get(table, ()) if day <= last}
        _roll(table, function, sorted(days), watermark)
    state.watermark = watermark
    state.updated_at = utcnow()
    db.session.commit()
    return len(new_days)


def reroll(first: date, last: date) -> int:
    """Roll these already rolled days again (e.g. after a repair); how many days."""
    state = _locked_state()
    if state.watermark is None:
        db.session.commit()
        return 0
    days = _days(first, min(last, Split(state.watermark).rolled_through))
    for table, function in FAMILIES.items():
        _roll(table, function, days, state.watermark)
    db.session.commit()
    return len(days)


def rebuild(now: datetime | None = None, intraday: bool = False) -> int:
    """Forget the rollup and roll everything again from the cases."""
    state = _locked_state()
    for table in DAILY_TABLES:
        db.session.execute(db.delete(table))
    state.watermark = None
    db.session.flush()
    return advance(target(now, intraday))


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _runs(days: list[date]):
    """Consecutive days as (first, last) runs of at most RUN_DAYS."""
    run_first = run_last = None
    for day in days:
        if run_first is not None and day == run_last + timedelta(days=1) \
                and (day - run_first).days < RUN_DAYS:
            run_last = day
            continue
        if run_first is not None:
            yield run_first, run_last
        run_first = run_last = day
    if run_first is not None:
        yield run_first, run_last


def _roll(table, function, days: list[date], watermark: datetime) -> None:
    for first, last in _runs(days):
        rows = sorted((row for row in function(first, last, watermark) if first <= row["day"] <= last),
                      key=lambda row: (row["grain"], row["day"]))  # a grain's days side by side
        db.session.execute(db.delete(table).where(table.day >= first, table.day <= last))
        if rows:
            db.session.execute(table.__table__.insert(), rows)  # Core: one batched executemany


def _last_due_day(watermark: datetime) -> date | None:
    """The latest due day of a task finished before the watermark."""
    due = db.session.scalar(db.select(db.func.max(WorkItem.due_at)).where(
        WorkItem.state.in_(("completed", "cancelled")), WorkItem.completed_at < watermark))
    return None if due is None else local_today(due)


def _changed_days(old: datetime, new: datetime) -> dict:
    """Past days whose stored facts changed between the two watermarks."""
    def days_of(query) -> set[date]:
        return {as_date(day) for (day,) in db.session.execute(query) if day is not None}

    created = local_day(Case.created_at)
    cases = days_of(db.select(created).where(Case.closed_at >= old, Case.closed_at < new)
                    .group_by(created))
    cases |= days_of(db.select(created).join(CaseAssignment, CaseAssignment.case_id == Case.id)
                     .where(CaseAssignment.assigned_at >= old, CaseAssignment.assigned_at < new)
                     .group_by(created))
    due = local_day(WorkItem.due_at)
    duties = days_of(db.select(due).where(WorkItem.state.in_(("completed", "cancelled")),
                                          WorkItem.completed_at >= old, WorkItem.completed_at < new,
                                          WorkItem.due_at.is_not(None)).group_by(due))
    previous = db.aliased(CaseAssignment)
    returned = local_day(previous.outcome_at)
    bounces = days_of(db.select(returned).select_from(CaseAssignment).join(previous, db.and_(
        previous.case_id == CaseAssignment.case_id, previous.seq == CaseAssignment.seq - 1))
        .where(CaseAssignment.assigned_at >= old, CaseAssignment.assigned_at < new,
               previous.outcome == "returned").group_by(returned))
    return {DailyCases: cases, DailyDuties: duties, DailyBounces: bounces}
