"""Browser tests: the real app served over HTTP in a background thread, driven by Debian's Chromium.

Playwright's own browser download cannot work here (no internet), so the sync API launches
/usr/bin/chromium (`make browser-deps` installs it). Without it the tests skip locally and fail in
CI (CASEBRIDGE_REQUIRE_SERVICES=1), through tests/conftest.py's `service_unavailable`.

CSRF stays enabled: every form is filled and sent the way a person would.
"""
from __future__ import annotations

import os
import re
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import service_unavailable

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-quic", "--disable-sync"]
PASSWORD = "pw"
ACTION_TIMEOUT_MS = 10_000
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"


@dataclass
class LiveServer:
    app: object
    url: str

    def __call__(self, path: str = "/") -> str:
        return self.url + path


@pytest.fixture(scope="package")
def live_server(tmp_path_factory):
    """The app on a temporary SQLite file, seeded with the demo province (password 'pw').

    Package-scoped: the server (and its process-wide state) goes away when the browser tests end,
    before other test packages create their own apps."""
    import flask_migrate
    from werkzeug.serving import make_server

    from caseapp import create_app
    from caseapp.extensions import db
    from caseapp.services.administration.processes import forget_cached_specs
    from caseapp.services.administration.seed import seed_demo

    forget_cached_specs()
    workdir = tmp_path_factory.mktemp("browser")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'browser.db'}",
                      "SECRET_KEY": "browser-test-secret", "RATELIMIT_ENABLED": False,
                      "EMBEDDED_SWEEPER": False, "REDIS_URL": None,
                      "UPLOAD_DIR": str(workdir / "uploads")})
    with app.app_context():
        flask_migrate.upgrade()
        seed_demo(PASSWORD)
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="browser-live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(app=app, url=f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        forget_cached_specs()


@pytest.fixture(scope="package")
def browser():
    """One headless Chromium for the browser tests."""
    from playwright.sync_api import expect
    expect.set_options(timeout=ACTION_TIMEOUT_MS)
    if not os.access(CHROMIUM, os.X_OK):
        service_unavailable("Chromium", FileNotFoundError(
            f"{CHROMIUM} is missing (run `make browser-deps` as root)"))
    from playwright.sync_api import Error as PlaywrightError, sync_playwright
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=CHROMIUM_ARGS, timeout=30_000)
    except PlaywrightError as exc:
        playwright.stop()
        service_unavailable("Chromium", exc)
    try:
        yield chromium
    finally:
        chromium.close()
        playwright.stop()


@pytest.fixture(scope="package", autouse=True)
def _fresh_screenshots():
    """Each run leaves only its own screenshots behind."""
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


class Screenshots:
    """Full-page screenshots named by step: screenshots/<test>/<nn>-<step>.png."""

    def __init__(self, test_name: str):
        self.directory = SCREENSHOTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", test_name)
        self.count = 0

    def __call__(self, page, step: str) -> Path:
        self.count += 1
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{self.count:02d}-{re.sub(r'[^A-Za-z0-9_.-]+', '-', step)}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def shot(request):
    return Screenshots(request.node.name)


@pytest.fixture
def new_context(browser, live_server, shot, request):
    """Fresh browser contexts (cookies, storage) for this test: new_context('phone'|'desktop')."""
    contexts = []
    problems: list[str] = []

    def watch(page):
        page.on("pageerror", lambda exc: problems.append(f"script error on {page.url}: {exc}"))

    def make(kind: str = "desktop", **options):
        viewport = PHONE if kind == "phone" else DESKTOP
        extra = {"is_mobile": True, "has_touch": True} if kind == "phone" else {}
        context = browser.new_context(viewport=viewport, base_url=live_server.url,
                                      locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh",
                                      **extra, **options)
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        context.set_default_navigation_timeout(ACTION_TIMEOUT_MS)
        context.on("response", lambda r: r.status >= 500 and problems.append(
            f"server error {r.status} on {r.request.method} {r.url}"))
        context.on("page", watch)
        contexts.append(context)
        return context

    yield make
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for context in contexts:
        if failed:
            for page in context.pages:
                try:
                    shot(page, "FAILED")
                except Exception:  # a crashed page must not hide the real failure
                    pass
        context.close()
    # No page may crash: no 5xx from the server, no uncaught script error in the browser.
    assert not problems, "\n".join(problems)


@pytest.fixture
def phone(new_context):
    """A page in a fresh phone-sized context (360 x 740), as a citizen uses it."""
    return new_context("phone").new_page()


@pytest.fixture
def desktop(new_context):
    """A page in a fresh desktop context, as staff use it."""
    return new_context("desktop").new_page()
