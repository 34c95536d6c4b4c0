"""Calendar and policy changes move pending deadlines: rows, workflow state, RQ jobs, audit trail."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from freezegun import freeze_time
from rq.registry import ScheduledJobRegistry

from caseapp.extensions import db
from caseapp.models import Breach, Case, CaseEvent, Deadline, WorkItem
from caseapp.services.cases.deadlines import sweep
from caseapp.services.administration.processes import runner_for
from caseapp.services.cases.recompute import recompute_for_day, recompute_for_phase
from caseapp.services.administration.sla_settings import declare_day, remove_day, set_policy
from timers import scheduling
from caseapp.calendar.days import LOCAL_TZ

from .rq_helpers import redis_conn, rq_app, submit  # noqa: F401

WEDNESDAY = date(2026, 12, 2)   # an ordinary working day
SATURDAY = date(2026, 12, 5)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LOCAL_TZ)


def _dispatch_deadline(case) -> Deadline:
    return db.session.scalars(db.select(Deadline).where(
        Deadline.case_id == case.id, Deadline.phase == "dispatch")).one()


def _engine_due(case) -> datetime:
    case = db.session.get(Case, case.id)
    (timer,) = [t for t in runner_for(case.process_version_id).inspect(case.workflow_state)
                .pending_timers if t.phase == "dispatch"]
    return timer.due_at


def _events(case, kind="deadline_recomputed"):
    return list(db.session.scalars(db.select(CaseEvent).where(
        CaseEvent.case_id == case.id, CaseEvent.kind == kind).order_by(CaseEvent.id)))


def test_a_day_off_declared_on_the_start_day_lengthens_the_deadline(rq_app, seeded, redis_conn):
    start = local(WEDNESDAY, 9)
    with freeze_time(start):
        (case,) = submit(1)
    with freeze_time(local(WEDNESDAY, 10)):
        (other,) = submit(1)  # same day: moves too
    with freeze_time(local(WEDNESDAY, 9) + timedelta(days=1)):
        (thursday,) = submit(1)  # another day: stays
    assert _dispatch_deadline(case).due_at == start + timedelta(hours=2)
    thursday_due = _dispatch_deadline(thursday).due_at
    with freeze_time(local(WEDNESDAY, 9, 30)):
        declare_day(WEDNESDAY, "day_off", "bão số 9")
        assert recompute_for_day(WEDNESDAY) == 2
        row = _dispatch_deadline(case)
        new_due = start + timedelta(hours=12)
        assert abs(row.due_at - new_due) < timedelta(seconds=1)
        assert _engine_due(case) == row.due_at  # written into the workflow state too
        item = db.session.scalars(db.select(WorkItem).where(WorkItem.case_id == case.id)).one()
        assert item.due_at == row.due_at
        assert _dispatch_deadline(thursday).due_at == thursday_due
        (event,) = _events(case)
        assert event.actor_label == "system" and event.detail["reason"] == "calendar"
        assert event.detail["day"] == WEDNESDAY.isoformat() and event.detail["phase"] == "dispatch"
        assert datetime.fromisoformat(event.detail["due_after"]) == row.due_at
        assert datetime.fromisoformat(event.detail["due_before"]) == start + timedelta(hours=2)
        # the moved row has its RQ job at the new time; the old one will find it not due yet
        registry = ScheduledJobRegistry(scheduling.DEADLINE_QUEUE, connection=redis_conn)
        assert scheduling.deadline_job_id(row.id, row.due_at) in registry.get_job_ids()
    # and the engine fires at the new time, not at the old one
    with freeze_time(start + timedelta(hours=3)):
        assert sweep() == 0
    with freeze_time(new_due + timedelta(hours=1, seconds=1)):  # both Wednesday cases, not Thursday's
        assert sweep() == 2
    assert db.session.scalar(db.select(Breach.due_at).where(Breach.case_id == case.id)) == row.due_at


def test_a_make_up_working_day_shortens_and_may_fire_at_once(rq_app, seeded):
    start = local(SATURDAY, 8)
    with freeze_time(start):
        (case,) = submit(1)
    assert _dispatch_deadline(case).due_at == start + timedelta(hours=12)
    with freeze_time(local(SATURDAY, 11)):  # the new due time (10:00) has already passed
        declare_day(SATURDAY, "working", "làm bù")
        assert recompute_for_day(SATURDAY) == 1
    row = _dispatch_deadline(case)
    assert row.state == "fired"
    breach = db.session.scalars(db.select(Breach).where(Breach.case_id == case.id)).one()
    assert abs(breach.due_at - (start + timedelta(hours=2))) < timedelta(seconds=1)
    assert len(_events(case)) == 1 and len(_events(case, "deadline_passed")) == 1
    with freeze_time(local(SATURDAY, 12)):  # withdrawing the declaration: nothing pending to move
        remove_day(SATURDAY)
        assert recompute_for_day(SATURDAY) == 0


def test_a_declaration_that_changes_no_regime_moves_nothing(app, seeded):
    with freeze_time(local(SATURDAY, 8)):
        (case,) = submit(1)
        before = _dispatch_deadline(case).due_at
        declare_day(SATURDAY, "day_off", "already a day off")
        assert recompute_for_day(SATURDAY) == 0
    assert _dispatch_deadline(case).due_at == before and _events(case) == []


def test_the_local_day_decides_not_the_utc_day(app, seeded):
    start = local(WEDNESDAY, 23, 30)  # 16:30 UTC: Wednesday here, whatever the server's zone
    with freeze_time(start):
        (case,) = submit(1)
        declare_day(WEDNESDAY + timedelta(days=1), "day_off")
        assert recompute_for_day(WEDNESDAY + timedelta(days=1)) == 0
        declare_day(WEDNESDAY, "day_off")
        assert recompute_for_day(WEDNESDAY) == 1
    assert abs(_dispatch_deadline(case).due_at - (start + timedelta(hours=12))) < timedelta(seconds=1)


def test_a_new_policy_applies_to_running_cases_only_when_asked(rq_app, seeded):
    start = local(WEDNESDAY, 9)
    with freeze_time(start):
        (case,) = submit(1)
    with freeze_time(local(WEDNESDAY, 9, 20)):
        set_policy("dispatch", "PT1H", "PT6H")
        assert _dispatch_deadline(case).due_at == start + timedelta(hours=2)  # kept
        set_policy("handle", "PT1H", "PT6H")
        assert recompute_for_phase("handle") == 0  # no pending handle deadline
        assert recompute_for_phase("dispatch") == 1
        row = _dispatch_deadline(case)
        assert abs(row.due_at - (start + timedelta(hours=1))) < timedelta(seconds=1)
        assert _engine_due(case) == row.due_at
    (event,) = _events(case)
    assert event.detail["reason"] == "sla_policy" and event.detail["phase"] == "dispatch"
    with freeze_time(local(WEDNESDAY, 9, 30)):
        assert recompute_for_phase("dispatch") == 0  # already follows the policy
