"""Sign-in security: lockout per (username, source), equal work for unknown usernames, sessions
and API tokens that end on logout, password reset and disabling."""
from __future__ import annotations

from datetime import timedelta

import pytest
from freezegun import freeze_time

from caseapp.extensions import db
from caseapp.models.org import LoginFailure
from caseapp.services.accounts import auth
from caseapp.services.accounts.auth import LockedOut, LoginFailed, authenticate

from .web import login

HOME, STRANGER, OTHER = "10.1.1.1", "203.0.113.7", "198.51.100.9"


def sign_in(client, username, password="pw", source=HOME):
    return client.post("/login", data={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": source})


def fail(client, username, times, source=STRANGER):
    for _ in range(times):
        assert sign_in(client, username, "wrong", source).status_code == 401


def locked(response) -> bool:
    return response.status_code == 401 and "Đăng nhập sai quá nhiều lần" in response.get_data(
        as_text=True)


# Lockout -------------------------------------------------------------------------------------

def test_a_stranger_locks_only_their_own_source(seeded, client):
    fail(client, "operator", 5)
    assert locked(sign_in(client, "operator", "pw", STRANGER))
    response = sign_in(client, "operator", "pw", HOME)
    assert response.status_code == 302 and response.headers["Location"] == "/work/"


def test_four_failures_do_not_lock_and_success_forgets_them(seeded, client):
    fail(client, "operator", 4, HOME)
    assert sign_in(client, "operator", "pw", HOME).status_code == 302
    client.post("/logout")
    fail(client, "operator", 4, HOME)
    assert sign_in(client, "operator", "pw", HOME).status_code == 302


def test_one_source_cannot_try_many_accounts(seeded, client):
    for name in ("operator", "supervisor", "monitor", "designer"):
        fail(client, name, 4)
    fail(client, "no.such.user", 4)
    # 20 failures from the stranger's address: every account is closed to it, even a right password
    with pytest.raises(LockedOut):
        authenticate("admin", "pw", STRANGER)
    assert authenticate("admin", "pw", OTHER).username == "admin"


def test_unknown_usernames_lock_like_known_ones(seeded, client):
    """No telling from the lockout whether a username exists."""
    fail(client, "no.such.user", 5)
    assert locked(sign_in(client, "no.such.user", "pw", STRANGER))


def test_the_lock_lifts_after_a_quarter_of_an_hour_and_counts_expire(seeded, client):
    with freeze_time("2026-12-01 02:00:00") as clock:
        fail(client, "operator", 5)
        clock.tick(timedelta(minutes=14))
        assert locked(sign_in(client, "operator", "pw", STRANGER))
        clock.tick(timedelta(minutes=1, seconds=1))
        fail(client, "monitor", 1, OTHER)  # any failure forgets the expired counts
        assert db.session.scalars(db.select(LoginFailure.username)).all() == ["monitor"]
        assert sign_in(client, "operator", "pw", STRANGER).status_code == 302


def test_an_admin_password_reset_lifts_the_lockout(seeded, app, users):
    fail(app.test_client(), "operator", 5)
    admin = app.test_client()
    login(admin, "admin")
    response = admin.post(f"/admin/users/{users['operator'].id}/password",
                          data={"password": "new-password-1", "confirm": "new-password-1"})
    assert response.status_code == 302
    assert authenticate("operator", "new-password-1", STRANGER).username == "operator"


@pytest.mark.parametrize("username,password", [("oper\x00ator", "pw"), ("operator", "p\x00w"),
                                               ("\ud800", "pw"), ("operator", "\udfff"),
                                               ("x" * 500, "pw"), (None, "pw"), ("   ", "pw")])
def test_odd_credentials_are_a_plain_failure(seeded, username, password):
    with pytest.raises(LoginFailed):
        authenticate(username, password, STRANGER)


def test_odd_credentials_on_the_api_are_a_401(seeded, client):
    for body in ({"username": "oper\x00ator", "password": "pw"},
                 {"username": "operator", "password": 5}, {"username": ["a"], "password": "pw"}):
        assert client.post("/api/v1/tokens", json=body).status_code in (401, 422), body


# The same work for unknown usernames ---------------------------------------------------------

def test_unknown_and_disabled_usernames_cost_a_hash_of_the_same_method(seeded, users, monkeypatch):
    users["monitor"].active = False
    db.session.commit()
    checked = []
    real = auth.check_password_hash

    def spy(pwhash, password):
        checked.append(pwhash.split("$")[0])
        return real(pwhash, password)

    monkeypatch.setattr(auth, "check_password_hash", spy)
    for name in ("operator", "no.such.user", "monitor"):
        with pytest.raises(LoginFailed):
            authenticate(name, "wrong", HOME)
    assert len(checked) == 3
    assert checked[1] == checked[2] == checked[0] == users["operator"].password_hash.split("$")[0]


# Sessions end ------------------------------------------------------------------------------

def signed_in(client) -> bool:
    return client.get("/work/").status_code == 200


def saved_session(client, username):
    assert sign_in(client, username).status_code == 302
    assert signed_in(client)
    return client.get_cookie("session").value


def replay(client, cookie):
    client.set_cookie("session", cookie)
    return client


def test_a_saved_cookie_is_dead_after_logout(seeded, client):
    cookie = saved_session(client, "operator")
    client.post("/logout")
    assert not signed_in(replay(client, cookie))


def test_logout_signs_out_every_session_of_the_account(seeded, app):
    laptop, phone = app.test_client(), app.test_client()
    saved_session(laptop, "operator")
    saved_session(phone, "operator")
    laptop.post("/logout")
    assert not signed_in(phone)


def test_a_saved_cookie_is_dead_after_an_admin_password_reset(seeded, app, users):
    officer = app.test_client()
    cookie = saved_session(officer, "operator")
    admin = app.test_client()
    login(admin, "admin")
    admin.post(f"/admin/users/{users['operator'].id}/password",
               data={"password": "new-password-1", "confirm": "new-password-1"})
    assert not signed_in(replay(officer, cookie))
    assert sign_in(officer, "operator", "new-password-1").status_code == 302


def edit_user(admin, user, **changes):
    data = {"full_name": user.full_name, "role": user.role, "agency_id": "",
            "email": user.email or "", "phone": user.phone or "", "active": "y", **changes}
    data = {k: v for k, v in data.items() if v is not None}
    response = admin.post(f"/admin/users/{user.id}/edit", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]


def test_a_saved_cookie_is_dead_after_disabling_even_once_enabled_again(seeded, app, users):
    officer = app.test_client()
    cookie = saved_session(officer, "operator")
    admin = app.test_client()
    login(admin, "admin")
    edit_user(admin, users["operator"], active=None)
    assert not signed_in(replay(officer, cookie))
    edit_user(admin, users["operator"])
    assert not signed_in(replay(officer, cookie))


def test_an_ordinary_edit_keeps_the_session(seeded, app, users):
    officer = app.test_client()
    saved_session(officer, "operator")
    admin = app.test_client()
    login(admin, "admin")
    edit_user(admin, users["operator"], full_name="Nguyễn Văn Mới")
    assert signed_in(officer)


def test_an_old_style_session_id_is_not_signed_in(seeded, client, users):
    saved_session(client, "operator")
    with client.session_transaction() as session:
        session["_user_id"] = str(users["operator"].id)  # before the session version
    assert not signed_in(client)


# API tokens follow the same rule ------------------------------------------------------------

def token_for(client, username="operator", password="pw"):
    response = client.post("/api/v1/tokens", json={"username": username, "password": password})
    assert response.status_code == 201, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def test_tokens_work_until_the_account_signs_out(seeded, app):
    api = app.test_client()
    headers = token_for(api)
    assert api.get("/api/v1/work-items", headers=headers).status_code == 200
    web = app.test_client()
    saved_session(web, "operator")
    web.post("/logout")
    assert api.get("/api/v1/work-items", headers=headers).status_code == 401


def test_tokens_are_revoked_by_a_password_reset_and_by_disabling(seeded, app, users):
    api = app.test_client()
    admin = app.test_client()
    login(admin, "admin")
    headers = token_for(api)
    admin.post(f"/admin/users/{users['operator'].id}/password",
               data={"password": "new-password-1", "confirm": "new-password-1"})
    assert api.get("/api/v1/work-items", headers=headers).status_code == 401
    headers = token_for(api, password="new-password-1")
    edit_user(admin, users["operator"], active=None)
    edit_user(admin, users["operator"])
    assert api.get("/api/v1/work-items", headers=headers).status_code == 401


def test_token_failures_count_per_client_address_too(seeded, client):
    for _ in range(5):
        client.post("/api/v1/tokens", json={"username": "operator", "password": "wrong"},
                    environ_base={"REMOTE_ADDR": STRANGER})
    response = client.post("/api/v1/tokens", json={"username": "operator", "password": "pw"},
                           environ_base={"REMOTE_ADDR": STRANGER})
    assert response.status_code == 429 and response.get_json()["error"]["code"] == "locked_out"
    assert client.post("/api/v1/tokens", json={"username": "operator", "password": "pw"},
                       environ_base={"REMOTE_ADDR": HOME}).status_code == 201
