"""Sign-in, sign-out, role home pages, and anonymous access to staff pages."""
from __future__ import annotations

import pytest

from .web import login, send_report, text

STAFF_PAGES = ["/work/", "/work/items/abc", "/cases/", "/cases/CM-AAAA-BBBB",
               "/cases/CM-AAAA-BBBB/photos/1", "/cases/CM-AAAA-BBBB/diagram"]


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_anonymous_staff_pages_redirect_to_login(seeded, client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_anonymous_posts_redirect_to_login(seeded, client):
    for path in ("/work/items/abc/claim", "/work/items/abc/unclaim", "/work/items/abc"):
        response = client.post(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path


def test_login_page_and_wrong_password(seeded, client):
    client.get("/lang/en")
    page = text(client.get("/login"))
    assert '<label for="username"' in page and '<label for="password"' in page
    assert 'id="login-submit"' in page
    response = client.post("/login", data={"username": "operator", "password": "nope"})
    assert response.status_code == 401 and "Wrong username or password" in text(response)


def test_lockout_after_repeated_failures(seeded, client):
    client.get("/lang/en")
    for _ in range(5):
        client.post("/login", data={"username": "operator", "password": "nope"})
    response = client.post("/login", data={"username": "operator", "password": "pw"})
    assert response.status_code == 401 and "Too many failed attempts" in text(response)


@pytest.mark.parametrize("user,home", [
    ("operator", "/work/"), ("supervisor", "/work/"), ("officer.health", "/work/"),
    ("monitor", "/leader/"), ("admin", "/admin/"), ("leader.health", "/leader/"),
])
def test_each_role_lands_on_its_home_page(seeded, client, user, home):
    response = client.post("/login", data={"username": user, "password": "pw"})
    assert response.status_code == 302 and response.headers["Location"] == home


def test_login_follows_next_but_never_off_site(seeded, client):
    response = client.post("/login?next=/cases/", data={"username": "operator", "password": "pw"})
    assert response.headers["Location"] == "/cases/"
    client.post("/logout")
    response = client.post("/login?next=//evil.example/x",
                           data={"username": "operator", "password": "pw"})
    assert response.headers["Location"] == "/work/"


@pytest.mark.parametrize("target", ["/%09/evil.example", "%09//evil.example", "/%0a/evil.example",
                                    "/%250a/evil.example", "/%2509/evil.example",
                                    "%5C%5Cevil.example", "/%5C/evil.example", "//evil.example",
                                    "https://evil.example", "/%0D%0ASet-Cookie:%20x=1"])
def test_login_and_language_switch_never_redirect_off_site(seeded, client, target):
    """Refused outright (400) or sent to the default page; never off the site, never a 500."""
    response = client.post(f"/login?next={target}", data={"username": "operator", "password": "pw"})
    assert response.status_code in (302, 400)
    assert response.headers.get("Location", "/work/") == "/work/"
    response = client.get(f"/lang/en?next={target}")
    assert response.status_code in (302, 400) and response.headers.get("Location", "/") == "/"


def test_session_expired_message_is_translated(seeded, client):
    client.get("/lang/en")
    response = client.get("/work/", follow_redirects=True)
    assert "Please sign in to open this page." in text(response)
    client.get("/lang/vi")
    response = client.get("/work/", follow_redirects=True)
    assert "Vui lòng đăng nhập" in text(response)


def test_logout_is_a_post_with_the_form_in_the_header(seeded, client):
    login(client, "operator")
    page = text(client.get("/work/"))
    assert 'action="/logout"' in page and 'name="csrf_token"' in page and 'id="logout"' in page
    assert client.get("/logout").status_code == 405
    response = client.post("/logout")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert client.get("/work/").status_code == 302


def test_nav_links_by_role(seeded, client):
    page = text(client.get("/"))
    assert 'id="nav-report"' in page and 'id="nav-queue"' not in page
    login(client, "operator")
    page = text(client.get("/cases/"))
    assert 'id="nav-queue"' in page and 'id="nav-cases"' in page and 'id="nav-admin"' not in page
    login(client, "admin")
    page = text(client.get("/cases/"))
    assert 'id="nav-admin"' in page and 'id="nav-queue"' not in page
    login(client, "leader.health")
    page = text(client.get("/work/"))
    assert 'id="nav-queue"' in page
    from flask import current_app
    if "leader.overview" in current_app.view_functions:
        assert 'id="nav-leader"' in page


def test_csrf_is_enforced_when_enabled(seeded, client, app):
    send_report(client)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post("/login", data={"username": "operator", "password": "pw"})
        assert response.status_code == 400 and 'data-code="csrf"' in text(response)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
