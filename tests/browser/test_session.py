"""Scenario 6: a staff session that expired (cookie gone or tampered with) sends the person to the
sign-in page with a message — never a crash — and after signing in they carry on where they were."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import expect

from .helpers import VI, case_state, create_case, login, open_task_from_queue, submit_task


def end_session(page, tamper: bool = False) -> None:
    """Drop (or corrupt) the session cookie once the page is quiet: any response, even a static
    file's, refreshes the cookie, and a late one would bring the session back."""
    page.wait_for_load_state("networkidle")
    context = page.context
    if not tamper:
        context.clear_cookies(name="session")
        return
    cookie = next(c for c in context.cookies() if c["name"] == "session")
    value = cookie["value"]
    cookie["value"] = value[:-6] + ("AAAAAA" if not value.endswith("AAAAAA") else "BBBBBB")
    context.add_cookies([cookie])


def expect_sign_in_page(page, next_path: str) -> None:
    """The sign-in page, asked to come back to `next_path` afterwards."""
    expect(page).to_have_url(re.compile(r"/login\?next="))
    assert parse_qs(urlsplit(page.url).query)["next"] == [next_path], page.url


def sign_in_again(page, username: str = "operator") -> None:
    """On the sign-in page the expiry sent us to: the message, then the form."""
    expect(page.locator(".flash-warning")).to_have_text(VI["sign_in_needed"])
    expect(page.locator("h1")).to_have_text(VI["staff_sign_in"])
    page.locator("#username").fill(username)
    page.locator("#password").fill("pw")
    page.locator("#login-submit").click()
    expect(page.locator("#logout")).to_be_visible()


def test_form_sent_after_the_session_expired(desktop, live_server, shot):
    app = live_server.app
    code = create_case(app, description="Sạt lở bờ kè sông Gành Hào, đoạn gần chợ, nguy hiểm.")
    page = desktop
    login(page, "operator")
    task_url = open_task_from_queue(page, code, VI["task_dispatch"])
    task_path = urlsplit(task_url).path
    page.get_by_label("Chuyển cơ quan xử lý").check()
    page.locator("#agency").select_option("ubnd_camau")

    # The session ends while the form is open, then the form is sent.
    end_session(page)
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.locator("#complete-task").click()
    assert posted.value.status == 302
    expect_sign_in_page(page, task_path)
    shot(page, "sign-in-after-expiry")
    assert case_state(app, code)["assignments"] == []  # nothing happened

    # Signing in brings the operator back to the task, which still works.
    sign_in_again(page)
    expect(page).to_have_url(task_url)
    expect(page.locator("#task-title")).to_contain_text(code)
    page.get_by_label("Chuyển cơ quan xử lý").check()
    page.locator("#agency").select_option("ubnd_camau")
    submit_task(page, VI["dispatched"])
    assert case_state(app, code)["assignments"] == [("ubnd_camau", "handling")]


def test_tampered_session_cookie_and_page_navigation(desktop, shot):
    page = desktop
    login(page, "officer.ubnd_camau")
    page.goto("/cases/")
    end_session(page, tamper=True)

    response = page.goto("/cases/?q=k%C3%A8")
    assert response.status == 200 and response.request.redirected_from is not None
    assert response.request.redirected_from.url.endswith("/cases/?q=k%C3%A8")
    expect_sign_in_page(page, "/cases/?q=kè")
    expect(page.locator("#logout")).to_have_count(0)
    shot(page, "sign-in-after-tampering")
    sign_in_again(page, "officer.ubnd_camau")
    expect(page).to_have_url(re.compile(r"/cases/\?q=k%C3%A8$"))
    expect(page.locator("h1")).to_be_visible()
    shot(page, "cases-after-sign-in")


def test_queue_refresh_after_the_session_expired(desktop, shot):
    """The queue refreshes itself; when the session is gone the page goes to the sign-in form."""
    page = desktop
    login(page, "operator")
    page.clock.install()
    page.goto("/work/?sort=-created_at")
    expect(page.locator("#queue-results")).to_be_visible()
    end_session(page)
    with page.expect_response(lambda r: "/work/rows" in r.url) as polled:
        page.clock.run_for(25_000)
    assert polled.value.status == 204
    expect_sign_in_page(page, "/work/?sort=-created_at")
    shot(page, "sign-in-after-poll")
    sign_in_again(page)
    expect(page).to_have_url(re.compile(r"/work/\?sort=-created_at$"))
    expect(page.locator("h1")).to_have_text(VI["work_queue"])
