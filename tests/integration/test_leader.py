"""The agency leader's overview: their agency's open and overdue cases, figures, notifications."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time

from caseapp.extensions import db
from caseapp.models import Notification, User

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
DAY = datetime(2026, 3, 10, tzinfo=LOCAL)  # a Tuesday, a working day


def at(hour: int, minute: int = 0) -> datetime:
    return DAY.replace(hour=hour, minute=minute)


@pytest.fixture(autouse=True)
def isolated_requests(app, monkeypatch):
    """Each request its own signed-in user, and cheap password hashes for the demo accounts.

    The `app` fixture keeps one app context open for the whole test and Flask reuses it for
    every test-client request, so Flask-Login's cached `g._login_user` would leak from one
    client to the next; it is dropped when each request starts.
    """
    from functools import partial

    from flask import g, request_started
    from werkzeug.security import generate_password_hash

    from caseapp.models import org

    monkeypatch.setattr(org, "generate_password_hash",
                        partial(generate_password_hash, method="pbkdf2:sha256:1000"))

    def forget_user(sender, **extra):
        g.pop("_login_user", None)

    request_started.connect(forget_user, app)
    yield
    request_started.disconnect(forget_user, app)


def login(client, username: str, password: str = "pw"):
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 302, f"login of {username} failed"


def user(username: str) -> User:
    return db.session.scalars(db.select(User).where(User.username == username)).one()


def submit(description: str) -> str:
    from caseapp.services.cases.submission import submit_report
    case, _ = submit_report({"full_name": "Nguyễn Văn Dân", "phone": "0912345678",
                             "category": "security", "description": description,
                             "address": "Phường 5, TP Cà Mau"})
    return case.tracking_code


def item_for(username: str, code: str) -> str:
    from caseapp.services.reads.queries import QueueFilters, work_queue
    items, _ = work_queue(user(username), QueueFilters(per_page=200))
    [item] = [i for i in items if i["tracking_code"] == code]
    return item["id"]


def dispatch(code: str, agency: str, urgent: bool = False) -> None:
    from caseapp.services.cases.tasks import complete
    complete(user("operator"), item_for("operator", code),
             {"action": "dispatch", "agency": agency, "urgent": urgent, "note": None})


def handle(agency: str, code: str, data: dict) -> None:
    from caseapp.services.cases.tasks import complete
    officer = f"officer.{agency}"
    complete(user(officer), item_for(officer, code), data)


@pytest.fixture
def province(seeded):
    """Cases at several stages, on a working day; the clock ends at 14:00 local time.

    police: A (dispatched 09:00, handling due 13:00: overdue), B (dispatched 12:30: only its
    one-hour return window has passed, not overdue), C (urgent, dispatched 13:50), G (resolved
    at 10:00, waiting for the portal's reply, whose deadline passed: the portal's delay, not
    police's), D (returned to the portal at 09:30). health: F (dispatched 09:00, overdue).
    E is still waiting for dispatch.
    """
    codes = {}
    with freeze_time(at(8)) as clock:
        for name in "ABCDEFG":
            codes[name] = submit(f"Báo cáo {name}: mất trật tự ở chợ đêm")
        clock.move_to(at(9))
        for name in "ADG":
            dispatch(codes[name], "police")
        dispatch(codes["F"], "health")
        clock.move_to(at(9, 30))
        handle("police", codes["D"], {"action": "return", "return_reason": "Thuộc thẩm quyền UBND"})
        clock.move_to(at(10))
        handle("police", codes["G"], {"action": "resolve", "result": "Đã xử lý xong."})
        clock.move_to(at(12, 30))
        dispatch(codes["B"], "police")
        clock.move_to(at(13, 50))
        dispatch(codes["C"], "police", urgent=True)
    return codes


def test_leader_sees_only_their_agency_open_cases(province, client):
    with freeze_time(at(14)):
        login(client, "leader.police")
        response = client.get("/leader/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for name in "ABCG":
        assert f'id="case-{province[name]}"' in html, name
    for name in "DEF":
        assert province[name] not in html, name
    assert f"/cases/{province['A']}" in html
    open_count = html.split('id="count-open"')[1].split("</div>")[0]
    assert "<strong>4</strong>" in open_count


def test_overdue_cases_before_and_after_the_sweep(province, client):
    from caseapp.models import Breach
    from caseapp.services.reads.agency_overview import open_cases, overview_counts
    from caseapp.services.cases.deadlines import sweep
    leader = user("leader.police")
    with freeze_time(at(14)):
        rows, total = open_cases(leader)
        assert total == 4
        overdue = {r.tracking_code for r in rows if r.overdue}
        assert overdue == {province["A"]}
        assert rows[0].tracking_code == province["A"]  # overdue first
        counts = overview_counts(leader)
        assert (counts.open, counts.overdue, counts.resolved_this_month,
                counts.returned_this_month) == (4, 1, 1, 1)
        assert sweep() >= 3
        assert db.session.scalar(db.select(db.func.count(Breach.id))) >= 3
        rows, _ = open_cases(leader)
        assert {r.tracking_code for r in rows if r.overdue} == {province["A"]}
        by_code = {r.tracking_code: r for r in rows}
        assert by_code[province["A"]].due_at == at(13)  # the missed deadline stays visible
        assert by_code[province["B"]].due_at == at(16, 30)
        assert by_code[province["G"]].due_at is None  # the reply is the portal's job
        assert overview_counts(leader).overdue == 1
        only, total = open_cases(leader, overdue_only=True)
        assert [r.tracking_code for r in only] == [province["A"]] and total == 1
        login(client, "leader.police")
        html = client.get("/leader/?overdue=1").get_data(as_text=True)
    assert f'id="case-{province["A"]}"' in html and f'id="case-{province["B"]}"' not in html
    assert "badge-overdue" in html
    health = user("leader.health")
    with freeze_time(at(14)):
        rows, _ = open_cases(health)
    assert [(r.tracking_code, r.overdue) for r in rows] == [(province["F"], True)]


def test_a_case_leaves_the_overview_when_returned(province):
    from caseapp.services.reads.agency_overview import open_cases, overview_counts
    leader = user("leader.police")
    with freeze_time(at(14, 10)):
        handle("police", province["A"], {"action": "return", "return_reason": "Không thuộc thẩm quyền"})
        rows, total = open_cases(leader)
        counts = overview_counts(leader)
    assert province["A"] not in {r.tracking_code for r in rows} and total == 3
    assert counts.returned_this_month == 2 and counts.overdue == 0


def test_leader_notifications_and_mark_as_read(province, app, client):
    from caseapp.services.cases.deadlines import sweep
    with freeze_time(at(14)):
        sweep()
    police_leader = user("leader.police")
    notes = list(db.session.scalars(db.select(Notification).where(
        Notification.recipient_user_id == police_leader.id).order_by(Notification.id)))
    kinds = {n.kind for n in notes}
    assert "urgent_report" in kinds and "deadline_breach" in kinds
    urgent = next(n for n in notes if n.kind == "urgent_report")
    with freeze_time(at(14, 5)):
        login(client, "leader.police")
        html = client.get("/leader/").get_data(as_text=True)
        assert f'id="notification-{urgent.id}"' in html and urgent.subject in html
        assert f"/cases/{province['C']}" in html
        other = app.test_client()
        login(other, "leader.health")
        other_html = other.get("/leader/").get_data(as_text=True)
        assert f'id="notification-{urgent.id}"' not in other_html
        # another leader cannot mark it read
        other.post(f"/leader/notifications/{urgent.id}/read")
        db.session.expire_all()
        assert db.session.get(Notification, urgent.id).read_at is None
        response = client.post(f"/leader/notifications/{urgent.id}/read")
        assert response.status_code == 302 and "/leader/" in response.headers["Location"]
        db.session.expire_all()
        assert db.session.get(Notification, urgent.id).read_at is not None
        response = client.get("/leader/?unread=1")
        assert response.status_code == 200
        assert f'id="notification-{urgent.id}"' not in response.get_data(as_text=True)
        response = client.get("/leader/")
        assert response.status_code == 200
        assert f'id="notification-{urgent.id}"' in response.get_data(as_text=True)


@pytest.mark.parametrize("username", ["operator", "officer.police", "designer", "admin"])
def test_other_roles_get_403(seeded, app, username):
    """monitor and supervisor see the province's figures there (test_dashboard_views.py)."""
    client = app.test_client()
    login(client, username)
    assert client.get("/leader/").status_code == 403
    assert client.post("/leader/notifications/1/read").status_code == 403


def test_leader_without_agency_gets_403(seeded, client):
    leader = user("leader.tnmt")
    leader.agency_id = None
    db.session.commit()
    login(client, "leader.tnmt")
    assert client.get("/leader/").status_code == 403


def test_anonymous_is_sent_to_login(seeded, client):
    response = client.get("/leader/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.post("/leader/notifications/1/read").status_code == 302


def test_empty_overview(seeded, client):
    login(client, "leader.transport")
    response = client.get("/leader/")
    assert response.status_code == 200
    assert 'id="leader-cases"' in response.get_data(as_text=True)


def test_overview_queries_do_not_grow_with_the_cases(province, app):
    """A fixed number of SQL statements whatever the number of cases (no N+1)."""
    from sqlalchemy import event

    from caseapp.services.reads.agency_overview import leader_notifications, open_cases, overview_counts
    leader = user("leader.police")
    statements = []

    def count(*args, **kwargs):
        statements.append(1)

    def run() -> int:
        db.session.expire_all()
        statements.clear()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            with freeze_time(at(15)):
                open_cases(leader)
                overview_counts(leader)
                leader_notifications(leader)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(statements)

    small = run()
    with freeze_time(at(14, 30)) as clock:
        for i in range(5):
            code = submit(f"Thêm báo cáo {i}")
            dispatch(code, "police", urgent=True)
            clock.tick(timedelta(minutes=1))
        from caseapp.services.cases.tasks import claim
        claim(user("officer.police"), item_for("officer.police", code))
    assert run() == small
    with freeze_time(at(15)):
        rows, total = open_cases(leader)
    assert total == 9 and len(rows) == 9
    assert {r.tracking_code: r.handler for r in rows if r.handler} == {code: "officer.police"}
