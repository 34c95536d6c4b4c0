"""Deadlines on working days and days off, breaches, and timers that must not fire."""
from datetime import date, datetime, timedelta, timezone

import pytest
from freezegun import freeze_time

from caseapp.extensions import db
from caseapp.models import Breach, Case, CaseAssignment, Deadline, Notification, User, WorkItem
from caseapp.services.cases.deadlines import sweep
from caseapp.services.administration.sla_settings import declare_day
from caseapp.calendar.days import LOCAL_TZ

from .helpers import Api


def local(*args):
    return datetime(*args, tzinfo=LOCAL_TZ)


def pending(code, phase):
    case = db.session.scalars(db.select(Case).where(Case.tracking_code == code)).one()
    return db.session.scalars(db.select(Deadline).where(
        Deadline.case_id == case.id, Deadline.phase == phase, Deadline.state == "pending")).one()


@pytest.mark.parametrize("start,due", [
    (local(2026, 11, 27, 23, 30), local(2026, 11, 28, 1, 30)),   # Friday late evening: working day
    (local(2026, 11, 28, 9, 0), local(2026, 11, 28, 21, 0)),     # Saturday: day off
    (local(2027, 2, 8, 10, 0), local(2027, 2, 8, 22, 0)),        # Monday in Tết 2027: day off
    (local(2026, 11, 25, 10, 0), local(2026, 11, 25, 12, 0)),    # ordinary Wednesday
])
def test_dispatch_deadline_by_regime(seeded, client, start, due):
    with freeze_time(start):
        code = Api(client).submit()
    assert pending(code, "dispatch").due_at == due


def test_declared_make_up_saturday_and_day_off(seeded, client):
    with freeze_time(local(2026, 12, 1, 9, 0)) as clock:  # declared ahead, on a Tuesday
        declare_day(date(2026, 12, 5), "working")   # a Saturday worked to make up
        declare_day(date(2026, 12, 7), "day_off")   # a Monday the province gives off
        clock.move_to(local(2026, 12, 5, 9, 0))
        saturday = Api(client).submit()
        clock.move_to(local(2026, 12, 7, 9, 0))
        monday = Api(client).submit()
    assert pending(saturday, "dispatch").due_at == local(2026, 12, 5, 11, 0)
    assert pending(monday, "dispatch").due_at == local(2026, 12, 7, 21, 0)


def test_utc_moment_on_another_local_day(seeded, client):
    # Friday 18:30 UTC is Saturday 01:30 in Cà Mau: the day-off regime applies
    with freeze_time(datetime(2026, 11, 27, 18, 30, tzinfo=timezone.utc)):
        code = Api(client).submit()
    assert pending(code, "dispatch").due_at == local(2026, 11, 28, 13, 30)


def test_handle_and_return_deadlines_start_at_dispatch(seeded, client):
    api = Api(client)
    with freeze_time(local(2026, 11, 26, 8, 0)):  # Thursday
        code = api.submit()
    with freeze_time(local(2026, 11, 26, 9, 0)):
        api.complete("operator", code, "dispatch", {"action": "dispatch", "agency": "police"})
        item = api.item_for("officer.police", code)
    assert pending(code, "handle").due_at == local(2026, 11, 26, 13, 0)
    assert pending(code, "return").due_at == local(2026, 11, 26, 10, 0)
    assert datetime.fromisoformat(item["due_at"]) == local(2026, 11, 26, 13, 0)
    with freeze_time(local(2026, 11, 28, 9, 0)):  # Saturday: publish gets 12 h
        api.complete("officer.police", code, "handle", {"action": "resolve", "result": "Đã xử lý xong."})
    assert pending(code, "publish").due_at == local(2026, 11, 28, 21, 0)


def test_breach_recorded_notified_and_task_stays(seeded, client):
    api = Api(client)
    with freeze_time(local(2026, 11, 25, 10, 0)):
        code = api.submit()
    with freeze_time(local(2026, 11, 25, 11, 59)):
        assert sweep() == 0
    with freeze_time(local(2026, 11, 25, 12, 0, 1)):
        assert sweep() == 1
        assert sweep() == 0
        item = api.item_for("operator", code)
        assert item["overdue"] is True and item["task"] == "dispatch"
        detail = api.call("GET", f"/api/v1/cases/{code}", "operator").get_json()
    breach = db.session.scalars(db.select(Breach)).one()
    assert breach.phase == "dispatch" and breach.due_at == local(2026, 11, 25, 12, 0)
    assert breach.fired_at >= breach.due_at
    assert [d["breached"] for d in detail["deadlines"] if d["phase"] == "dispatch"] == [True]
    supervisor = db.session.scalars(db.select(User).where(User.username == "supervisor")).one()
    notes = db.session.scalars(db.select(Notification).where(Notification.kind == "deadline_breach")).all()
    assert [n.recipient_user_id for n in notes] == [supervisor.id]
    # the work is still possible after the breach
    with freeze_time(local(2026, 11, 25, 12, 30)):
        api.complete("operator", code, "dispatch", {"action": "dispatch", "agency": "police"})


def test_agency_breach_goes_to_the_agency_leader(seeded, client):
    api = Api(client)
    with freeze_time(local(2026, 11, 25, 8, 0)):
        code = api.submit()
        api.complete("operator", code, "dispatch", {"action": "dispatch", "agency": "health"})
    with freeze_time(local(2026, 11, 25, 12, 0, 1)):  # both return (1 h) and handle (4 h) passed
        assert sweep() == 2
    leader = db.session.scalars(db.select(User).where(User.username == "leader.health")).one()
    phases = sorted(b.phase for b in db.session.scalars(db.select(Breach)))
    assert phases == ["handle", "return"]
    notes = db.session.scalars(db.select(Notification).where(Notification.kind == "deadline_breach")).all()
    assert {n.recipient_user_id for n in notes} == {leader.id} and len(notes) == 2


def test_late_return_after_the_return_window(seeded, client):
    api = Api(client)
    with freeze_time(local(2026, 11, 25, 8, 0)):
        code = api.submit()
        api.complete("operator", code, "dispatch", {"action": "dispatch", "agency": "police"})
    with freeze_time(local(2026, 11, 25, 9, 30)):
        assert sweep() == 1  # the 1 h return window passed: taken as accepted
        state = api.complete("officer.police", code, "handle",
                             {"action": "return", "return_reason": "Không thuộc thẩm quyền"})
    assert state["agencies"][0]["late_return"] is True
    assert any(e["kind"] == "late_return" for e in state["audit"])
    assignment = db.session.scalars(db.select(CaseAssignment)).one()
    assert assignment.outcome == "returned" and assignment.late_return


def test_return_in_time_is_not_late(seeded, client):
    api = Api(client)
    with freeze_time(local(2026, 11, 25, 8, 0)):
        code = api.submit()
        api.complete("operator", code, "dispatch", {"action": "dispatch", "agency": "police"})
    with freeze_time(local(2026, 11, 25, 8, 30)):
        state = api.complete("officer.police", code, "handle",
                             {"action": "return", "return_reason": "Không thuộc thẩm quyền"})
    assert state["agencies"][0]["late_return"] is False


def test_timer_of_completed_task_never_fires(seeded, client):
    api = Api(client)
    with freeze_time(local(2026, 11, 25, 10, 0)):
        code = api.submit()
    with freeze_time(local(2026, 11, 25, 11, 0)):
        api.complete("operator", code, "dispatch", {"action": "dispatch", "agency": "police"})
    with freeze_time(local(2026, 11, 25, 11, 30)):
        api.complete("officer.police", code, "handle", {"action": "resolve", "result": "Đã xử lý xong."})
    with freeze_time(local(2026, 11, 25, 11, 45)):
        api.complete("operator", code, "publish", {"public_response": "Đã xử lý, cảm ơn bạn."})
    with freeze_time(local(2026, 12, 25, 10, 0)):
        assert sweep() == 0
    assert db.session.scalar(db.select(db.func.count()).select_from(Breach)) == 0
    states = {d.phase: d.state for d in db.session.scalars(db.select(Deadline))}
    assert states == {"dispatch": "cancelled", "handle": "cancelled", "return": "cancelled",
                      "publish": "cancelled"}
    assert db.session.scalar(db.select(db.func.count()).select_from(WorkItem).where(
        WorkItem.state == "open")) == 0


def test_deadline_rows_survive_a_new_round_after_return(seeded, client):
    api = Api(client)
    with freeze_time(local(2026, 11, 25, 8, 0)):
        code = api.submit()
        api.complete("operator", code, "dispatch", {"action": "dispatch", "agency": "police"})
        api.complete("officer.police", code, "handle", {"action": "return", "return_reason": "Không thuộc thẩm quyền"})
    # a new dispatch phase started with its own deadline
    assert pending(code, "dispatch").due_at == local(2026, 11, 25, 10, 0)
    total = db.session.scalar(db.select(db.func.count()).select_from(Deadline))
    assert total == 4  # dispatch (cancelled), handle, return (cancelled), dispatch (pending)
