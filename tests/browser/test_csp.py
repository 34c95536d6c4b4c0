"""Every page a person uses works under the strict Content-Security-Policy: the browser reports no
violation (inline script, inline style, eval, a blocked source) and the scripts still do their job
(the queue refreshes through htmx, the task form reacts, bpmn-js draws the case's diagram)."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from .helpers import create_case, login, open_item_id

# Chromium's console messages for a blocked resource, inline code or eval under a CSP.
CSP_MESSAGE = re.compile(r"Content Security Policy|Refused to (execute|apply|load|evaluate|"
                         r"connect|frame|create)", re.IGNORECASE)


def watch_csp(page) -> list[str]:
    """Collect every CSP complaint of the page: console messages and securitypolicyviolation
    events (the latter also catch what a library reports without logging)."""
    violations: list[str] = []
    page.on("console", lambda msg: CSP_MESSAGE.search(msg.text) and violations.append(
        f"{page.url}: {msg.text}"))
    page.add_init_script("""
        document.addEventListener("securitypolicyviolation", function (event) {
          console.error("Content Security Policy violation: " + event.violatedDirective + " "
                        + event.blockedURI + " " + event.sourceFile + ":" + event.lineNumber);
        });
    """)
    return violations


def test_pages_work_under_the_csp_without_violations(new_context, live_server, shot):
    app = live_server.app
    code = create_case(app, agency="police")
    item_id = open_item_id(app, code, "handle")

    citizen = new_context("phone").new_page()
    citizen_violations = watch_csp(citizen)
    response = citizen.goto("/report")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(citizen.locator("#use-location")).to_be_visible()  # report.js ran: it unhides the button
    citizen.goto(f"/track/{code}")
    expect(citizen.locator("#status")).to_be_visible()
    shot(citizen, "report-and-track")
    assert citizen_violations == []

    officer = new_context("desktop").new_page()
    violations = watch_csp(officer)
    login(officer, "officer.police")

    officer.goto("/work/")
    expect(officer.locator(f'#queue-table tr[data-code="{code}"]')).to_have_count(1)
    # htmx is loaded and may fetch and swap (what its 20-second poll does), without eval
    poll_url = officer.locator("#queue-results").get_attribute("hx-get")
    with officer.expect_response(re.compile(r"/work/rows")) as rows:
        officer.evaluate("url => htmx.ajax('GET', url, {target: '#queue-results'})", poll_url)
    assert rows.value.status == 200
    expect(officer.locator(f'#queue-table tr[data-code="{code}"]')).to_have_count(1)
    shot(officer, "queue")

    officer.goto(f"/work/items/{item_id}")
    expect(officer.locator("#task-form")).to_be_visible()
    officer.locator('input[name="action"][value="return"]').check()  # task.js shows the reason
    expect(officer.locator("#return_reason")).to_be_visible()
    shot(officer, "task")

    officer.goto(f"/cases/{code}")
    canvas = officer.locator("#bpmn-canvas")
    expect(canvas).to_have_attribute("data-ready", "true")
    expect(canvas.locator("svg").first).to_be_visible()
    expect(canvas.locator(".djs-element.cb-ready")).not_to_have_count(0)  # the current task marked
    shot(officer, "case-diagram")
    assert violations == []


def test_figures_board_and_announcements_work_under_the_csp(new_context, live_server, shot):
    """The pages of issue 10 too: the dashboard's charts (Chart.js) draw, the board and the
    announcements page load, all without a violation."""
    create_case(live_server.app, agency="police")
    citizen = new_context("phone").new_page()
    citizen_violations = watch_csp(citizen)
    citizen.goto("/board")
    expect(citizen.locator("h1")).to_be_visible()
    shot(citizen, "board")

    monitor = new_context("desktop").new_page()
    monitor_violations = watch_csp(monitor)
    login(monitor, "monitor")
    monitor.goto("/leader/")
    expect(monitor.locator("canvas").first).to_be_visible()
    shot(monitor, "dashboard")
    monitor.goto("/announcements/")
    expect(monitor.locator("h1")).to_be_visible()
    shot(monitor, "announcements")
    assert citizen_violations + monitor_violations == []
