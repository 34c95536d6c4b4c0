"""Emergency announcements: publish, show while active, withdraw, permissions, audit, API."""
from __future__ import annotations

import html
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time

from caseapp.extensions import db
from caseapp.models import Announcement, AuditLog, User
from caseapp.services import announcements
from caseapp.services.errors import Forbidden, ValidationFailed

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 10, 14, 9, 0, tzinfo=LOCAL)  # any moment: every body runs frozen at it


def login(client, username: str, password: str = "pw"):
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 302, f"login of {username} failed"


def user(username: str) -> User:
    return db.session.scalars(db.select(User).where(User.username == username)).one()


def local_input(moment: datetime) -> str:
    return moment.astimezone(LOCAL).strftime("%Y-%m-%dT%H:%M")


def form(**overrides) -> dict:
    data = {"title": "Bão số 9 sắp đổ bộ", "text": "Người dân vùng ven biển di dời\nđến nơi an toàn.",
            "area": "Huyện Ngọc Hiển, Năm Căn", "starts_at": local_input(NOW),
            "ends_at": local_input(NOW + timedelta(hours=12))}
    data.update(overrides)
    return data


def publish(username: str = "supervisor", **overrides) -> Announcement:
    return announcements.publish_announcement(user(username), form(**overrides))


def test_supervisor_publishes_on_the_staff_page_and_it_shows_on_every_public_page(seeded, client):
    with freeze_time(NOW) as clock:
        login(client, "supervisor")
        page = client.get("/announcements/")
        assert page.status_code == 200 and b'id="announcement-form"' in page.data
        response = client.post("/announcements/", data=form())
        assert response.status_code == 302
        [row] = db.session.scalars(db.select(Announcement)).all()
        assert row.author.username == "supervisor"
        assert row.starts_at == NOW and row.ends_at == NOW + timedelta(hours=12)  # local input
        client.post("/logout")
        for path in ("/", "/report", "/track", "/board", "/login"):
            body = client.get(path).get_data(as_text=True)
            assert f'id="announcement-{row.id}"' in body, path
            assert "Bão số 9 sắp đổ bộ" in body and "Huyện Ngọc Hiển, Năm Căn" in body
        clock.move_to(NOW + timedelta(hours=12))  # the end is exclusive
        assert 'id="announcements"' not in client.get("/report").get_data(as_text=True)


def test_the_window_decides_with_an_injected_clock(seeded):
    with freeze_time(NOW):
        later = publish(title="Triều cường", starts_at=local_input(NOW + timedelta(hours=2)),
                        ends_at=local_input(NOW + timedelta(hours=6)))
        first = publish(title="Mưa lớn", starts_at=local_input(NOW - timedelta(hours=1)))
        assert [a["title"] for a in announcements.active_announcements()] == ["Mưa lớn"]
        in_both = NOW + timedelta(hours=3)
        items = announcements.active_announcements(now=in_both)
        assert [a["id"] for a in items] == [later.id, first.id]  # newest start first
        assert set(items[0]) == {"id", "title", "body", "area", "starts_at", "ends_at"}
        assert announcements.active_announcements(now=NOW + timedelta(hours=13)) == []


def test_staff_page_lists_active_scheduled_and_past(seeded, client):
    with freeze_time(NOW) as clock:
        gone = publish(title="Đã hết hạn", ends_at=local_input(NOW + timedelta(minutes=30)))
        clock.move_to(NOW + timedelta(hours=1))
        now = publish(title="Đang hiển thị", starts_at=local_input(NOW))
        soon = publish(title="Sắp hiển thị", starts_at=local_input(NOW + timedelta(hours=5)),
                       ends_at=local_input(NOW + timedelta(hours=8)))
        login(client, "monitor")
        body = client.get("/announcements/").get_data(as_text=True)
        active, rest = body.split('id="ann-active"')[1].split('id="ann-scheduled"')
        scheduled, past = rest.split('id="ann-past"')
        assert f"ann-row-{now.id}" in active and f"ann-row-{soon.id}" in scheduled
        assert f"ann-row-{gone.id}" in past
        public = client.get("/api/v1/announcements").get_json()["items"]
        assert [a["id"] for a in public] == [now.id]


def test_api_lists_the_active_ones_without_the_author(seeded, client):
    with freeze_time(NOW):
        row = publish()
        response = client.get("/api/v1/announcements")
        assert response.status_code == 200
        [item] = response.get_json()["items"]
        assert item == {"id": row.id, "title": row.title, "body": row.text, "area": row.area,
                        "starts_at": row.starts_at.isoformat(), "ends_at": row.ends_at.isoformat()}
        assert datetime.fromisoformat(item["starts_at"]) == NOW


def test_text_is_escaped_everywhere(seeded, client):
    with freeze_time(NOW):
        publish(title="<script>alert(1)</script> khẩn", text="<b>đậm</b> <img src=x>\nhàng hai",
                area='"><i>xã</i>')
        body = client.get("/report").get_data(as_text=True)
        assert "<script>alert(1)" not in body and "<img src=x>" not in body and "<i>xã" not in body
        assert html.escape("<script>alert(1)</script> khẩn", quote=False) in body
        assert "&lt;b&gt;đậm&lt;/b&gt;" in body


@pytest.mark.parametrize("overrides, field", [
    ({"ends_at": local_input(NOW - timedelta(hours=1))}, "ends_at"),           # before the start
    ({"starts_at": local_input(NOW - timedelta(hours=3)),
      "ends_at": local_input(NOW - timedelta(hours=1))}, "ends_at"),           # already over
    ({"ends_at": local_input(NOW + timedelta(days=91))}, "ends_at"),           # not an emergency
    ({"starts_at": "ngày mai"}, "starts_at"),
    ({"starts_at": ""}, "starts_at"),
    ({"title": "  "}, "title"),
    ({"title": "x" * 201}, "title"),
    ({"text": "ngắn"}, "text"),
    ({"text": "Sạt lở\u202eđảo chiều chữ"}, "text"),                          # bidi override
    ({"area": "Cà\u200bMau"}, "area"),                                         # zero-width space
])
def test_bad_input_is_refused_per_field_and_nothing_is_stored(seeded, overrides, field):
    with freeze_time(NOW):
        with pytest.raises(ValidationFailed) as refused:
            publish(**overrides)
        assert set(refused.value.fields) == {field}
        assert db.session.scalar(db.select(db.func.count(Announcement.id))) == 0


def test_form_errors_show_beside_the_field_in_the_visitors_language(seeded, client):
    with freeze_time(NOW):
        login(client, "supervisor")
        response = client.post("/announcements/", data=form(ends_at=local_input(NOW - timedelta(hours=1))))
        assert response.status_code == 422
        body = response.get_data(as_text=True)
        assert "Thời điểm kết thúc phải sau thời điểm bắt đầu." in body
        assert 'value="Bão số 9 sắp đổ bộ"' in body  # nothing typed is lost
        assert db.session.scalar(db.select(db.func.count(Announcement.id))) == 0


@pytest.mark.parametrize("username, status", [("operator", 403), ("officer.police", 403),
                                              ("leader.police", 403), ("designer", 403),
                                              ("admin", 403)])
def test_only_the_supervisor_and_the_monitor_publish(seeded, client, username, status):
    with freeze_time(NOW):
        login(client, username)
        assert client.post("/announcements/", data=form()).status_code == status
        assert db.session.scalar(db.select(db.func.count(Announcement.id))) == 0
        with pytest.raises(Forbidden):
            publish(username)


def test_who_sees_the_staff_page(seeded, client):
    with freeze_time(NOW):
        assert client.get("/announcements/").status_code == 302  # to the sign-in page
        for username, status in (("operator", 200), ("monitor", 200), ("admin", 200),
                                 ("officer.health", 403), ("designer", 403)):
            login(client, username)
            assert client.get("/announcements/").status_code == status, username
            client.post("/logout")


def test_withdrawn_by_its_author_or_an_admin_only_and_audited(seeded, client):
    with freeze_time(NOW):
        by_monitor = publish("monitor")
        by_supervisor = publish("supervisor", title="Cảnh báo sạt lở")
        login(client, "supervisor")  # not the author of the monitor's one
        assert client.post(f"/announcements/{by_monitor.id}/withdraw").status_code == 403
        assert client.post("/announcements/99999/withdraw").status_code == 404
        assert client.post(f"/announcements/{by_supervisor.id}/withdraw").status_code == 302
        client.post("/logout")
        login(client, "admin")
        assert client.post(f"/announcements/{by_monitor.id}/withdraw").status_code == 302
        client.post("/logout")
        assert 'id="announcements"' not in client.get("/report").get_data(as_text=True)
        assert client.get("/api/v1/announcements").get_json()["items"] == []
        db.session.expire_all()
        assert db.session.get(Announcement, by_monitor.id).withdrawn_by.username == "admin"
        trail = db.session.scalars(db.select(AuditLog).where(AuditLog.action.like("announcement.%"))
                                   .order_by(AuditLog.id)).all()
        assert [(a.action, a.actor_label, a.target) for a in trail] == [
            ("announcement.publish", "monitor", f"announcement:{by_monitor.id}"),
            ("announcement.publish", "supervisor", f"announcement:{by_supervisor.id}"),
            ("announcement.withdraw", "supervisor", f"announcement:{by_supervisor.id}"),
            ("announcement.withdraw", "admin", f"announcement:{by_monitor.id}"),
        ]
        assert trail[0].detail["title"] == by_monitor.title


def test_the_admin_audit_screen_filters_announcements(seeded, client):
    with freeze_time(NOW):
        row = publish()
        login(client, "admin")
        body = client.get("/admin/audit?action=announcement").get_data(as_text=True)
        assert f"announcement:{row.id}" in body
