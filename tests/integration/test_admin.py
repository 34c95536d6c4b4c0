"""Admin screens through the Flask test client: who gets in, what each form writes, the audit log."""
from __future__ import annotations

from datetime import date

import pytest

from caseapp.extensions import db
from caseapp.models import AuditLog, Agency, CalendarDay, Category, SlaPolicy, User


def login(client, username: str, password: str = "pw"):
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 302, f"login of {username} failed"
    return response


_baseline = {"id": 0}


@pytest.fixture(autouse=True)
def isolated_requests(app, monkeypatch):
    """Each request its own signed-in user, and cheap password hashes for the demo accounts.

    The `app` fixture keeps one app context open for the whole test and Flask reuses it for
    every test-client request, so Flask-Login's cached `g._login_user` would leak from one
    client to the next; it is dropped when each request starts. Seeding hashes 25 passwords
    with scrypt (~0.2 s each); a low-cost PBKDF2 keeps the hashing real and the tests fast.
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


@pytest.fixture(autouse=True)
def audit_baseline(isolated_requests, seeded):
    """Audit entries written by seeding (the process deployment) are not the tests' business."""
    _baseline["id"] = db.session.scalar(db.select(db.func.max(AuditLog.id))) or 0


@pytest.fixture
def admin_client(seeded, client):
    login(client, "admin")
    return client


def audit_rows(action: str | None = None) -> list[AuditLog]:
    query = db.select(AuditLog).where(AuditLog.id > _baseline["id"]).order_by(AuditLog.id)
    if action:
        query = query.where(AuditLog.action == action)
    db.session.expire_all()
    return list(db.session.scalars(query))


def field_errors(html: str, field_id: str) -> str:
    """The text of the error list tied to a field ('' if none)."""
    marker = f'id="{field_id}-error"'
    start = html.find(marker)
    if start < 0:
        return ""
    return html[start:html.find("</ul>", start)]


def agency_by_code(code: str) -> Agency | None:
    db.session.expire_all()
    return db.session.scalars(db.select(Agency).where(Agency.code == code)).first()


def user_by_name(username: str) -> User | None:
    db.session.expire_all()
    return db.session.scalars(db.select(User).where(User.username == username)).first()


# ---------------------------------------------------------------- access

def admin_pages() -> list[str]:
    police = agency_by_code("police")
    officer = user_by_name("officer.police")
    category = db.session.scalars(db.select(Category).order_by(Category.id)).first()
    return ["/admin/", "/admin/agencies", "/admin/agencies/new", f"/admin/agencies/{police.id}/edit",
            "/admin/users", f"/admin/users?role=officer&agency={police.id}&active=1&q=police",
            "/admin/users/new", f"/admin/users/{officer.id}/edit", "/admin/categories",
            "/admin/categories/new", f"/admin/categories/{category.id}/edit", "/admin/sla",
            "/admin/sla/new", "/admin/sla/handle/edit", "/admin/calendar",
            "/admin/calendar?year=2027", "/admin/audit", "/admin/audit?action=user&page=2"]


def test_every_admin_page_renders_for_the_admin(admin_client):
    for url in admin_pages():
        response = admin_client.get(url)
        assert response.status_code == 200, url
        html = response.get_data(as_text=True)
        assert 'class="admin-nav' in html, url


def test_admin_pages_in_english_and_vietnamese(admin_client):
    admin_client.get("/lang/en")
    assert "Agencies" in admin_client.get("/admin/agencies").get_data(as_text=True)
    admin_client.get("/lang/vi")
    assert admin_client.get("/admin/agencies").status_code == 200


@pytest.mark.parametrize("username", ["operator", "supervisor", "monitor", "designer",
                                      "officer.police", "leader.police"])
def test_other_roles_get_403(seeded, app, username):
    client = app.test_client()
    login(client, username)
    police = agency_by_code("police")
    for url in admin_pages():
        assert client.get(url).status_code == 403, (username, url)
    for url, data in [("/admin/agencies/new", {"code": "x1", "name": "X", "kind": "other"}),
                      (f"/admin/agencies/{police.id}/edit", {"name": "Hacked", "kind": "other"}),
                      ("/admin/users/new", {"username": "evil", "role": "admin", "password": "12345678"}),
                      ("/admin/sla/handle/edit", {"working": "PT1M", "dayoff": "PT1M"}),
                      ("/admin/calendar", {"day": "2026-05-02", "kind": "working"})]:
        assert client.post(url, data=data).status_code == 403, (username, url)
    assert agency_by_code("x1") is None and agency_by_code("police").name != "Hacked"
    assert user_by_name("evil") is None
    assert audit_rows() == []


def test_anonymous_visitors_are_sent_to_login(seeded, client):
    for url in ("/admin/", "/admin/users", "/admin/audit"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]
    assert client.post("/admin/agencies/new", data={"code": "x1", "name": "X"}).status_code == 302
    assert agency_by_code("x1") is None


# ---------------------------------------------------------------- agencies

def test_create_agency(admin_client):
    response = admin_client.post("/admin/agencies/new", data={
        "code": "ubnd_caihuoc", "name": "UBND huyện Cái Nước", "name_en": "Cái Nước District",
        "kind": "district", "active": "y"})
    assert response.status_code == 302
    agency = agency_by_code("ubnd_caihuoc")
    assert agency.name == "UBND huyện Cái Nước" and agency.kind == "district" and agency.active
    [entry] = audit_rows("agency.create")
    assert entry.target == "agency:ubnd_caihuoc" and entry.actor_label == "admin"
    assert entry.detail["after"]["name"] == "UBND huyện Cái Nước"
    assert "ubnd_caihuoc" in admin_client.get("/admin/agencies").get_data(as_text=True)


@pytest.mark.parametrize("data, field", [
    ({"code": "police", "name": "Trùng mã", "kind": "department"}, "code"),
    ({"code": "POLICE", "name": "Trùng mã", "kind": "department"}, "code"),
    ({"code": "bad code!", "name": "Sai mã", "kind": "department"}, "code"),
    ({"code": "", "name": "Thiếu mã", "kind": "department"}, "code"),
    ({"code": "newone", "name": "", "kind": "department"}, "name"),
    ({"code": "newone", "name": "Loại lạ", "kind": "ministry"}, "kind"),
    ({"code": "newone", "name": "x" * 201, "kind": "department"}, "name"),
])
def test_create_agency_rejects_bad_input(admin_client, data, field):
    before = db.session.scalar(db.select(db.func.count(Agency.id)))
    response = admin_client.post("/admin/agencies/new", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_errors(html, field), html
    assert 'aria-invalid="true"' in html
    if data["name"] and len(data["name"]) <= 200:
        assert data["name"] in html  # what was typed is kept
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count(Agency.id))) == before
    assert audit_rows() == []


def test_edit_agency(admin_client):
    police = agency_by_code("police")
    response = admin_client.post(f"/admin/agencies/{police.id}/edit", data={
        "name": "Công an tỉnh Cà Mau (mới)", "name_en": police.name_en, "kind": "department"})
    assert response.status_code == 302
    police = agency_by_code("police")
    assert police.name == "Công an tỉnh Cà Mau (mới)" and police.active is False
    [entry] = audit_rows("agency.update")
    assert entry.detail["before"] == {"name": "Công an tỉnh Cà Mau", "active": True}
    assert entry.detail["after"] == {"name": "Công an tỉnh Cà Mau (mới)", "active": False}


def test_edit_agency_rejects_an_empty_name(admin_client):
    police = agency_by_code("police")
    response = admin_client.post(f"/admin/agencies/{police.id}/edit",
                                 data={"name": " ", "kind": "department", "active": "y"})
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "name")
    assert agency_by_code("police").name == "Công an tỉnh Cà Mau"
    assert audit_rows() == []


def test_unknown_agency_is_404(admin_client):
    assert admin_client.get("/admin/agencies/99999/edit").status_code == 404


# ---------------------------------------------------------------- users

def test_create_user_hashes_the_password_and_can_sign_in(admin_client, app):
    police = agency_by_code("police")
    response = admin_client.post("/admin/users/new", data={
        "username": "Officer.Police2", "password": "s3cret-pass", "full_name": "Nguyễn Văn A",
        "role": "officer", "agency_id": str(police.id), "email": "a@camau.example",
        "phone": "0901 234 567", "active": "y"})
    assert response.status_code == 302
    user = user_by_name("officer.police2")
    assert user is not None and user.role == "officer" and user.agency_id == police.id
    assert user.password_hash != "s3cret-pass" and user.check_password("s3cret-pass")
    [entry] = audit_rows("user.create")
    assert entry.target == "user:officer.police2" and entry.detail["after"]["agency"] == "police"
    assert "s3cret-pass" not in str(entry.detail) and "password" not in str(entry.detail)
    other = app.test_client()
    login(other, "officer.police2", "s3cret-pass")


@pytest.mark.parametrize("changes, field", [
    ({"username": "operator"}, "username"),
    ({"username": "OPERATOR"}, "username"),
    ({"username": "a b"}, "username"),
    ({"role": "superuser"}, "role"),
    ({"role": "officer", "agency_id": ""}, "agency_id"),
    ({"role": "leader", "agency_id": ""}, "agency_id"),
    ({"role": "operator", "agency_id": "POLICE"}, "agency_id"),
    ({"role": "supervisor", "agency_id": "POLICE"}, "agency_id"),
    ({"agency_id": "99999"}, "agency_id"),
    ({"password": "short"}, "password"),
    ({"password": ""}, "password"),
    ({"email": "not-an-email"}, "email"),
])
def test_create_user_rejects_bad_input(admin_client, changes, field):
    police = agency_by_code("police")
    data = {"username": "newuser", "password": "long-enough", "full_name": "Trần Thị B",
            "role": "officer", "agency_id": str(police.id), "active": "y"}
    data.update(changes)
    if data.get("agency_id") == "POLICE":
        data["agency_id"] = str(police.id)
    before = db.session.scalar(db.select(db.func.count(User.id)))
    response = admin_client.post("/admin/users/new", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_errors(html, field), html
    assert "Trần Thị B" in html  # nothing typed is lost
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count(User.id))) == before
    assert audit_rows() == []


def test_edit_user_role_and_agency(admin_client):
    officer = user_by_name("officer.police")
    health = agency_by_code("health")
    response = admin_client.post(f"/admin/users/{officer.id}/edit", data={
        "full_name": officer.full_name, "role": "leader", "agency_id": str(health.id),
        "email": officer.email, "phone": "", "active": "y"})
    assert response.status_code == 302
    officer = user_by_name("officer.police")
    assert officer.role == "leader" and officer.agency_id == health.id
    [entry] = audit_rows("user.update")
    assert entry.detail["before"]["role"] == "officer" and entry.detail["after"]["role"] == "leader"
    assert entry.detail["before"]["agency"] == "police" and entry.detail["after"]["agency"] == "health"


def test_edit_user_to_portal_role_needs_no_agency(admin_client):
    officer = user_by_name("officer.police")
    response = admin_client.post(f"/admin/users/{officer.id}/edit", data={
        "role": "operator", "agency_id": str(officer.agency_id), "active": "y"})
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "agency_id")
    assert user_by_name("officer.police").role == "officer"
    response = admin_client.post(f"/admin/users/{officer.id}/edit",
                                 data={"role": "operator", "agency_id": "", "active": "y"})
    assert response.status_code == 302
    moved = user_by_name("officer.police")
    assert moved.role == "operator" and moved.agency_id is None


def test_deactivated_user_cannot_sign_in(admin_client, app):
    leader = user_by_name("leader.health")
    response = admin_client.post(f"/admin/users/{leader.id}/edit", data={
        "role": "leader", "agency_id": str(leader.agency_id), "full_name": leader.full_name})
    assert response.status_code == 302
    assert user_by_name("leader.health").active is False
    other = app.test_client()
    assert other.post("/login", data={"username": "leader.health", "password": "pw"}).status_code != 302


def test_admin_cannot_lock_themselves_out(admin_client):
    me = user_by_name("admin")
    response = admin_client.post(f"/admin/users/{me.id}/edit", data={"role": "admin", "agency_id": ""})
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "active")
    response = admin_client.post(f"/admin/users/{me.id}/edit",
                                 data={"role": "monitor", "agency_id": "", "active": "y"})
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "role")
    me = user_by_name("admin")
    assert me.active and me.role == "admin"


def test_reset_password(admin_client, app):
    officer = user_by_name("officer.health")
    response = admin_client.post(f"/admin/users/{officer.id}/password",
                                 data={"password": "new-password-1", "confirm": "different-1"})
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "confirm")
    response = admin_client.post(f"/admin/users/{officer.id}/password",
                                 data={"password": "short", "confirm": "short"})
    assert response.status_code == 422
    assert user_by_name("officer.health").check_password("pw")
    assert audit_rows() == []
    response = admin_client.post(f"/admin/users/{officer.id}/password",
                                 data={"password": "new-password-1", "confirm": "new-password-1"})
    assert response.status_code == 302
    assert user_by_name("officer.health").check_password("new-password-1")
    [entry] = audit_rows("user.password_reset")
    assert entry.target == "user:officer.health" and "new-password-1" not in str(entry.detail)
    login(app.test_client(), "officer.health", "new-password-1")


def test_user_list_filters(admin_client):
    health = agency_by_code("health")
    html = admin_client.get(f"/admin/users?role=leader&agency={health.id}").get_data(as_text=True)
    assert "leader.health" in html and "officer.health" not in html and "leader.police" not in html
    html = admin_client.get("/admin/users?q=SUPERV").get_data(as_text=True)
    assert "supervisor" in html and "officer.police" not in html
    html = admin_client.get("/admin/users?active=0").get_data(as_text=True)
    assert "officer.police" not in html


# ---------------------------------------------------------------- categories

def test_create_and_edit_category(admin_client):
    response = admin_client.post("/admin/categories/new", data={
        "code": "flooding", "name": "Ngập úng", "name_en": "Flooding", "sort": "3", "active": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    category = db.session.scalars(db.select(Category).where(Category.code == "flooding")).one()
    assert category.name == "Ngập úng" and category.sort == 3 and category.active
    response = admin_client.post(f"/admin/categories/{category.id}/edit", data={
        "name": "Ngập úng, triều cường", "name_en": "Flooding", "sort": "1"})
    assert response.status_code == 302
    db.session.expire_all()
    category = db.session.get(Category, category.id)
    assert category.name == "Ngập úng, triều cường" and category.sort == 1 and not category.active
    assert [e.action for e in audit_rows()] == ["category.create", "category.update"]
    assert audit_rows("category.update")[0].detail["after"] == {
        "name": "Ngập úng, triều cường", "sort": 1, "active": False}


@pytest.mark.parametrize("data, field", [
    ({"code": "epidemic", "name": "Trùng", "sort": "1"}, "code"),
    ({"code": "new_cat", "name": "", "sort": "1"}, "name"),
    ({"code": "new_cat", "name": "Sắp xếp sai", "sort": "abc"}, "sort"),
    ({"code": "new_cat", "name": "Sắp xếp lớn", "sort": "99999999"}, "sort"),
])
def test_create_category_rejects_bad_input(admin_client, data, field):
    before = db.session.scalar(db.select(db.func.count(Category.id)))
    response = admin_client.post("/admin/categories/new", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_errors(html, field), html
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count(Category.id))) == before
    assert audit_rows() == []


# ---------------------------------------------------------------- SLA policies

@pytest.fixture
def recompute_calls(monkeypatch):
    """Spy on the recompute functions (whatever they do, they must be called)."""
    from caseapp.services.cases import recompute
    calls = []
    real_phase, real_day = recompute.recompute_for_phase, recompute.recompute_for_day

    def for_phase(phase):
        calls.append(("phase", phase))
        return real_phase(phase)

    def for_day(day):
        calls.append(("day", day))
        return real_day(day)

    monkeypatch.setattr(recompute, "recompute_for_phase", for_phase)
    monkeypatch.setattr(recompute, "recompute_for_day", for_day)
    return calls


def test_sla_change_persists_and_load_policies_reflects_it(admin_client, recompute_calls):
    from datetime import timedelta
    from caseapp.services.administration.sla_settings import load_policies
    response = admin_client.post("/admin/sla/handle/edit", data={"working": "pt3h30m", "dayoff": "P1D"})
    assert response.status_code == 302
    db.session.expire_all()
    row = db.session.get(SlaPolicy, "handle")
    assert (row.working_duration, row.dayoff_duration) == ("PT3H30M", "P1D")
    policy = load_policies()["handle"]
    assert policy.working == timedelta(hours=3, minutes=30) and policy.dayoff == timedelta(days=1)
    [entry] = audit_rows("sla.set")
    assert entry.detail["before"] == {"working": "PT4H", "dayoff": "PT24H"}
    assert entry.detail["after"] == {"working": "PT3H30M", "dayoff": "P1D"}
    assert recompute_calls == []  # running cases untouched unless asked
    html = admin_client.get("/admin/sla").get_data(as_text=True)
    assert "PT3H30M" in html


def test_sla_change_applied_to_running_cases(admin_client, recompute_calls):
    response = admin_client.post("/admin/sla/dispatch/edit",
                                 data={"working": "PT1H", "dayoff": "PT6H", "apply_to_running": "y"})
    assert response.status_code == 302
    assert recompute_calls == [("phase", "dispatch")]
    assert [e.action for e in audit_rows()] == ["sla.set", "sla.recompute"]


@pytest.mark.parametrize("data, field", [
    ({"working": "2 hours", "dayoff": "PT12H"}, "working"),
    ({"working": "PT2H", "dayoff": "PT0H"}, "dayoff"),
    ({"working": "", "dayoff": "PT12H"}, "working"),
])
def test_sla_change_rejects_bad_durations(admin_client, recompute_calls, data, field):
    response = admin_client.post("/admin/sla/dispatch/edit", data=dict(data, apply_to_running="y"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_errors(html, field)
    if data["working"]:
        assert data["working"] in html
    db.session.expire_all()
    row = db.session.get(SlaPolicy, "dispatch")
    assert (row.working_duration, row.dayoff_duration) == ("PT2H", "PT12H")
    assert audit_rows() == [] and recompute_calls == []


def test_new_sla_phase(admin_client):
    from caseapp.services.administration.sla_settings import load_policies
    response = admin_client.post("/admin/sla/new", data={"phase": "verify", "working": "PT8H",
                                                         "dayoff": "P2D"})
    assert response.status_code == 302
    assert "verify" in load_policies()
    assert 'id="sla-verify"' in admin_client.get("/admin/sla").get_data(as_text=True)
    response = admin_client.post("/admin/sla/new", data={"phase": "bad phase!", "working": "PT8H",
                                                         "dayoff": "P2D"})
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "phase")
    response = admin_client.post("/admin/sla/new", data={"phase": "handle", "working": "PT8H",
                                                         "dayoff": "P2D"})
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "phase")
    assert load_policies()["handle"].working.total_seconds() == 4 * 3600
    assert admin_client.get("/admin/sla/nonexistent/edit").status_code == 404


# ---------------------------------------------------------------- calendar

def test_declare_and_remove_calendar_days(admin_client, recompute_calls):
    response = admin_client.post("/admin/calendar", data={"day": "2026-05-02", "kind": "working",
                                                          "note": "Làm bù cho ngày 30/4"})
    assert response.status_code == 302
    response = admin_client.post("/admin/calendar", data={"day": "2026-09-03", "kind": "day_off",
                                                          "note": "Nghỉ lễ của tỉnh"})
    assert response.status_code == 302
    db.session.expire_all()
    assert {(r.day, r.kind) for r in db.session.scalars(db.select(CalendarDay))} == {
        (date(2026, 5, 2), "working"), (date(2026, 9, 3), "day_off")}
    from caseapp.services.administration.sla_settings import load_calendar
    calendar = load_calendar()
    assert calendar.is_working_day(date(2026, 5, 2)) and not calendar.is_working_day(date(2026, 9, 3))
    html = admin_client.get("/admin/calendar?year=2026").get_data(as_text=True)
    assert "02/05/2026" in html and "Làm bù cho ngày 30/4" in html and "03/09/2026" in html
    response = admin_client.post("/admin/calendar/2026-05-02/remove")
    assert response.status_code == 302
    db.session.expire_all()
    assert [r.day for r in db.session.scalars(db.select(CalendarDay))] == [date(2026, 9, 3)]
    assert recompute_calls == [("day", date(2026, 5, 2)), ("day", date(2026, 9, 3)),
                               ("day", date(2026, 5, 2))]
    assert [e.action for e in audit_rows() if e.action.startswith("calendar.")
            and e.action != "calendar.recompute"] == [
        "calendar.declare", "calendar.declare", "calendar.remove"]
    assert admin_client.post("/admin/calendar/2026-05-02/remove").status_code == 404
    assert admin_client.post("/admin/calendar/not-a-day/remove").status_code == 404


@pytest.mark.parametrize("data, field", [
    ({"day": "", "kind": "day_off"}, "day"),
    ({"day": "2026-02-30", "kind": "day_off"}, "day"),
    ({"day": "2026-05-02", "kind": "holiday"}, "kind"),
    ({"day": "2026-05-02", "kind": "day_off", "note": "x" * 201}, "note"),
])
def test_calendar_rejects_bad_input(admin_client, recompute_calls, data, field):
    response = admin_client.post("/admin/calendar", data=data)
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), field)
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count()).select_from(CalendarDay)) == 0
    assert audit_rows() == [] and recompute_calls == []


# ---------------------------------------------------------------- audit log

def test_every_change_appears_in_the_audit_log_newest_first(admin_client):
    police = agency_by_code("police")
    officer = user_by_name("officer.tnmt")
    posts = [("/admin/agencies/new", {"code": "audit_ag", "name": "Cơ quan A", "kind": "other", "active": "y"}),
             (f"/admin/agencies/{police.id}/edit", {"name": "Công an", "kind": "department", "active": "y"}),
             ("/admin/users/new", {"username": "audit.user", "password": "password-1", "role": "monitor",
                                   "active": "y"}),
             (f"/admin/users/{officer.id}/edit", {"role": "officer", "agency_id": str(officer.agency_id),
                                                  "full_name": "Đổi tên", "active": "y"}),
             (f"/admin/users/{officer.id}/password", {"password": "password-2", "confirm": "password-2"}),
             ("/admin/categories/new", {"code": "audit_cat", "name": "Loại A", "sort": "9", "active": "y"}),
             ("/admin/sla/return/edit", {"working": "PT2H", "dayoff": "PT12H"}),
             ("/admin/calendar", {"day": "2026-12-31", "kind": "day_off"}),
             ("/admin/calendar/2026-12-31/remove", {})]
    for url, data in posts:
        assert admin_client.post(url, data=data).status_code == 302, url
    expected = ["agency.create", "agency.update", "user.create", "user.update", "user.password_reset",
                "category.create", "sla.set", "calendar.declare", "calendar.remove"]
    assert [e.action for e in audit_rows()] == expected
    html = admin_client.get("/admin/audit").get_data(as_text=True)
    positions = [html.find(f"<code>{action}</code>") for action in reversed(expected)]
    assert all(p > 0 for p in positions) and positions == sorted(positions)
    for target in ("agency:audit_ag", "agency:police", "user:audit.user", "user:officer.tnmt",
                   "category:audit_cat", "2026-12-31"):
        assert target in html
    html = admin_client.get("/admin/audit?action=user").get_data(as_text=True)
    assert "user.create" in html and "agency.create" not in html


def test_audit_log_pages(admin_client):
    from caseapp.services.cases.audit import record_admin_change
    for i in range(60):
        record_admin_change(None, "test.entry", f"target-{i:02d}")
    db.session.commit()
    first = admin_client.get("/admin/audit").get_data(as_text=True)
    assert "target-59" in first and "target-10" in first and "target-09" not in first
    second = admin_client.get("/admin/audit?page=2").get_data(as_text=True)
    assert "target-09" in second and "target-00" in second and "target-10" not in second
    assert 'rel="prev"' in second and 'rel="next"' in first
