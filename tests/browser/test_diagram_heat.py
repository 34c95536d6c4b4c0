"""The live diagram in a browser (issue 9): a designer opens /process/ and sees on each task a
badge with the cases waiting and overdue, the same numbers in the table, a refresh every 30 s
(on Playwright's clock, no waiting) without a reload, no CSP complaint, and on a phone the
table stacks without sideways scrolling."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from .helpers import create_case, login
from .test_csp import watch_csp


def waiting(app) -> dict:
    """Cases with an open work item per task, counted straight from the database."""
    from caseapp.extensions import db
    from caseapp.models import WorkItem
    with app.app_context():
        rows = db.session.execute(
            db.select(WorkItem.bpmn_id, db.func.count(db.distinct(WorkItem.case_id)))
            .where(WorkItem.state == "open").group_by(WorkItem.bpmn_id)).all()
        db.session.remove()
        return {bpmn_id: int(n) for bpmn_id, n in rows}


def check(page, counts: dict) -> None:
    for task in ("dispatch", "handle"):
        n = str(counts.get(task, 0))
        expect(page.locator(f'#bpmn-canvas .heat-badge[data-task="{task}"] .heat-waiting')).to_have_text(n)
        expect(page.locator(f'#live-table tr[data-task="{task}"] [data-col="waiting"]')).to_have_text(n)


def test_designer_sees_the_live_figures_and_they_refresh(new_context, live_server, shot):
    app = live_server.app
    create_case(app, agency="police")
    create_case(app)
    page = new_context("desktop").new_page()
    violations = watch_csp(page)
    page.clock.install()
    login(page, "designer")
    expect(page).to_have_url(re.compile(r"/process/$"))
    expect(page.locator("#bpmn-canvas")).to_have_attribute("data-heat", "drawn")
    counts = waiting(app)
    assert counts["dispatch"] >= 1 and counts["handle"] >= 1
    check(page, counts)
    expect(page.locator('#bpmn-canvas .heat-badge[data-task="handle"] .heat-overdue')).to_have_text(
        page.locator('#live-table tr[data-task="handle"] [data-col="overdue"]').inner_text())
    shot(page, "live-diagram")
    page.evaluate("window.__noReload = true")

    create_case(app)  # a new report waits at dispatch
    with page.expect_response(re.compile(r"/process/figures")):
        page.clock.fast_forward("00:31")
    counts = waiting(app)
    check(page, counts)
    assert page.evaluate("window.__noReload === true")

    with page.expect_response(re.compile(r"/process/figures\?.*agency=health")):
        page.locator("#live-agency").select_option("health")
    expect(page.locator('#live-table tr[data-task="dispatch"] [data-col="waiting"]')).to_have_text("0")
    expect(page.locator('#bpmn-canvas .heat-badge[data-task="dispatch"] .heat-waiting')).to_have_text("0")
    expect(page).to_have_url(re.compile(r"agency=health"))
    assert violations == []


def test_the_table_stacks_on_a_phone(new_context, live_server, shot):
    page = new_context("phone").new_page()
    login(page, "designer")
    expect(page.locator("#live-table")).to_be_visible()
    expect(page.locator("#bpmn-canvas")).to_have_attribute("data-heat", "drawn")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert page.evaluate(
        "getComputedStyle(document.querySelector('#live-table tbody tr')).display") == "block"
    shot(page, "live-diagram-phone")
