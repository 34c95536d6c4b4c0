"""Security headers on every kind of response (page, API, static file, error page), HSTS only over
HTTPS, cookies HttpOnly/SameSite (and Secure behind the TLS proxy), the proxy switch, and no page
of the app carries inline script, event-handler attributes, javascript: URLs or inline styles."""
from __future__ import annotations

import pytest
from lxml import html as lxml_html

from caseapp import config as config_module

from .route_access_table import (ROLES, Caller, build_world, path_for, url_map_routes,
                                 warm_holiday_tables)

@pytest.fixture(scope="module", autouse=True)
def _warm_holiday_tables():
    warm_holiday_tables()


NO_SCRIPT_EXCEPTIONS = ("'unsafe-inline'", "'unsafe-eval'", "*", "data:", "blob:", "http:",
                        "https:")


def csp_directives(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    directives = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def assert_security_headers(response) -> None:
    """What every response must carry (over plain HTTP: no HSTS)."""
    csp = csp_directives(response)
    assert csp["script-src"] == ["'self'"]
    assert not set(csp["default-src"]) & set(NO_SCRIPT_EXCEPTIONS)
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert csp["form-action"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in csp["style-src"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] in ("strict-origin-when-cross-origin",
                                                   "same-origin", "no-referrer")
    assert "Strict-Transport-Security" not in response.headers


@pytest.mark.parametrize("path, status, content_type", [
    ("/report", 200, "text/html"),                          # a public page
    ("/login", 200, "text/html"),
    ("/api/v1/categories", 200, "application/json"),        # the API
    ("/static/css/app.css", 200, "text/css"),               # a static file
    ("/static/js/diagram.js", 200, "text/javascript"),
    ("/no-such-page", 404, "text/html"),                    # error pages
    ("/api/v1/reports/CM-0000-0000", 404, "application/json"),
    ("/track?code=%00", 400, "text/html"),                  # refused before any view
    ("/logout", 405, "text/html"),
    ("/work/", 302, None),                                  # redirect to the sign-in page
])
def test_every_kind_of_response_carries_the_headers(client, path, status, content_type):
    response = client.get(path)
    assert response.status_code == status
    if content_type:
        assert response.mimetype == content_type
    assert_security_headers(response)


def test_an_unexpected_error_page_carries_the_headers_too(app):
    def boom():
        raise RuntimeError("unexpected")
    app.add_url_rule("/boom-for-the-test", "boom_for_the_test", boom)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer 500 as in production
    response = app.test_client().get("/boom-for-the-test")
    assert response.status_code == 500
    assert "unexpected" not in response.get_data(as_text=True)
    assert_security_headers(response)


def test_hsts_only_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/").headers
    secure = client.get("/", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def _app_like(app, **overrides):
    """A second app on the same database with other settings (proxy, cookies)."""
    from caseapp import create_app
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI":
                       app.config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": None,
                       "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
                       "SECRET_KEY": "test-secret", "EMBEDDED_SWEEPER": False, **overrides})


def _whoami(app) -> None:
    from flask import jsonify, request
    app.add_url_rule("/whoami-for-the-test", "whoami_for_the_test", lambda: jsonify(
        addr=request.remote_addr, secure=request.is_secure, host=request.host))


FORWARDED = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https",
             "X-Forwarded-Host": "phananh.camau.gov.vn"}


def test_without_trusted_proxies_forwarded_headers_are_ignored(app):
    _whoami(app)
    seen = app.test_client().get("/whoami-for-the-test", headers=FORWARDED).get_json()
    assert seen == {"addr": "127.0.0.1", "secure": False, "host": "localhost"}


def test_behind_a_trusted_proxy_the_client_scheme_and_host_come_from_it(app):
    proxied = _app_like(app, TRUSTED_PROXIES=1, SESSION_COOKIE_SECURE=True)
    _whoami(proxied)
    client = proxied.test_client()
    response = client.get("/whoami-for-the-test", headers=FORWARDED)
    assert response.get_json() == {"addr": "203.0.113.7", "secure": True,
                                   "host": "phananh.camau.gov.vn"}
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    # only the last proxy's word counts: a client's own X-Forwarded-For before it is ignored
    two = {**FORWARDED, "X-Forwarded-For": "198.51.100.1, 203.0.113.7"}
    assert client.get("/whoami-for-the-test", headers=two).get_json()["addr"] == "203.0.113.7"
    with proxied.app_context():
        from caseapp.extensions import db
        db.engine.dispose()


def _set_cookies(response) -> dict[str, str]:
    return {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}


def _cookie_flags(header: str) -> set[str]:
    """The attributes of a Set-Cookie header that matter here: {"httponly", "samesite=lax", ...}."""
    flags = set()
    for part in header.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        flags.add(name.lower() + (f"={value.lower()}" if name.lower() == "samesite" else ""))
    return flags


def test_cookies_are_httponly_and_samesite_and_not_secure_over_plain_http(seeded):
    client = seeded.test_client()
    signed_in = _set_cookies(client.post("/login", data={"username": "operator",
                                                          "password": "pw"}))
    language = _set_cookies(client.get("/lang/en?next=/"))
    for header in (signed_in["session"], language["lang"]):
        flags = _cookie_flags(header)
        assert {"httponly", "samesite=lax"} <= flags, header
        assert "secure" not in flags, header  # plain HTTP (local installation): must still work


def test_cookies_are_secure_behind_the_tls_proxy(seeded):
    secure = config_module.secure_cookies({"TRUSTED_PROXIES": "1"})
    proxied = _app_like(seeded, TRUSTED_PROXIES=1, SESSION_COOKIE_SECURE=secure)
    assert proxied.config["REMEMBER_COOKIE_SECURE"] is True
    assert proxied.config["REMEMBER_COOKIE_HTTPONLY"] is True
    client = proxied.test_client()
    signed_in = _set_cookies(client.post("/login", data={"username": "operator", "password": "pw"},
                                         headers=FORWARDED))
    language = _set_cookies(client.get("/lang/en?next=/", headers=FORWARDED))
    for header in (signed_in["session"], language["lang"]):
        assert {"httponly", "samesite=lax", "secure"} <= _cookie_flags(header), header
    with proxied.app_context():
        from caseapp.extensions import db
        db.engine.dispose()


@pytest.mark.parametrize("environ, secure", [
    ({}, False),
    ({"TRUSTED_PROXIES": "1"}, True),
    ({"TRUSTED_PROXIES": "2", "SESSION_COOKIE_SECURE": "0"}, False),  # a proxy without TLS
    ({"SESSION_COOKIE_SECURE": "1"}, True),
])
def test_cookies_secure_setting(environ, secure):
    assert config_module.secure_cookies(environ) is secure


# ---- every page of the app under the policy --------------------------------------------------

def inline_code_problems(page: str, where: str) -> list[str]:
    """What the CSP would block in a page: inline script, event-handler attributes (on*, hx-on),
    javascript: URLs, inline styles (style-src has no 'unsafe-inline')."""
    problems = []
    tree = lxml_html.fromstring(page)
    for script in tree.iter("script"):
        if script.get("src"):
            continue
        if script.get("type") == "application/json":  # data, not code
            continue
        if (script.text or "").strip():
            problems.append(f"{where}: inline <script> {script.text.strip()[:60]!r}")
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        if element.tag == "style":
            problems.append(f"{where}: <style> block")
        for name, value in element.attrib.items():
            lowered = name.lower()
            if lowered.startswith("on") or lowered.startswith(("hx-on", "data-hx-on")):
                problems.append(f"{where}: <{element.tag} {name}=...>")
            if lowered == "style":
                problems.append(f"{where}: <{element.tag} style={value!r}>")
            if lowered in ("href", "src", "action", "formaction") \
                    and value.strip().lower().startswith("javascript:"):
                problems.append(f"{where}: <{element.tag} {name}={value!r}>")
            if lowered.startswith(("hx-", "data-hx-")) and "js:" in value.replace(" ", ""):
                problems.append(f"{where}: <{element.tag} {name}={value!r}> needs eval")
    return problems


@pytest.mark.parametrize("backend", ["sqlite"])  # the HTML is the same on both databases
def test_no_page_needs_inline_script_or_style(seeded, backend):
    """Every GET page of the URL map, as every demo caller, with real arguments (a case of the
    owning agency, its task, its photo…): the HTML it serves has nothing the CSP would block."""
    world = build_world()
    gets = sorted(rule for rule, method in url_map_routes(seeded) if method == "GET")
    problems, pages = [], 0
    for role in ROLES:
        caller = Caller(seeded, role, world)
        for rule in gets:
            response = caller.call(rule, "GET")
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            pages += 1
            assert_security_headers(response)
            path = path_for(rule, world.arguments(role))
            problems += inline_code_problems(response.get_data(as_text=True), f"{role} {path}")
    assert pages >= 40, pages  # the scan really saw the pages (public, staff, admin, process)
    assert not problems, "\n".join(problems)


def test_the_scan_finds_what_the_policy_would_block():
    page = ('<html><body><script>alert(1)</script><script type="application/json">{}</script>'
            '<a href="javascript:void(0)" onclick="x()">a</a><p style="color:red">b</p>'
            '<div hx-on:click="go()"></div></body></html>')
    found = inline_code_problems(page, "sample")
    assert len(found) == 5, found
