"""The leaders' dashboard in a browser: charts drawn beside their tables, a filter that refreshes
the figures without a reload, the 30-second refresh (on Playwright's clock, no waiting), no
CSP complaint, and a phone-sized screen without sideways scrolling."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from .helpers import create_case, login
from .test_csp import watch_csp


def namcan_this_month(app) -> int:
    """Reports received this month in Năm Căn, counted straight from the database."""
    from caseapp.extensions import db
    from caseapp.models import Case, District, utcnow
    from caseapp.services.figures.filters import local_midnight, local_today
    with app.app_context():
        start = local_midnight(local_today(utcnow()).replace(day=1))
        count = db.session.scalar(
            db.select(db.func.count(Case.id)).join(District, District.id == Case.district_id)
            .where(District.code == "namcan", Case.created_at >= start))
        db.session.remove()
        return int(count)


def chart_drawn(page, table: str) -> None:
    """Wait until the dashboard's script has drawn the table's chart (it draws after loading)."""
    page.wait_for_function(
        f"() => !!(window.Chart && window.Chart.getChart(document.getElementById('chart-{table}')))",
        polling=100, timeout=15000)


def test_dashboard_draws_filters_and_refreshes(new_context, live_server, shot):
    app = live_server.app
    create_case(app, agency="tnmt", category="disaster", district="namcan")
    create_case(app, category="disaster", district="namcan")

    page = new_context("desktop").new_page()
    violations = watch_csp(page)
    page.clock.install()
    login(page, "monitor")
    expect(page).to_have_url(re.compile(r"/leader/$"))  # the monitor lands on the dashboard
    expect(page.locator("h1")).to_contain_text("Số liệu xử lý phản ánh")
    for table in ("open_by_phase", "by_category", "by_district", "trend_day", "on_time"):
        expect(page.locator(f"#table-{table}")).to_be_visible()
        chart_drawn(page, table)
    expect(page.locator("#table-by_district")).to_contain_text("Năm Căn")
    shot(page, "province")
    page.evaluate("window.__noReload = true")

    before = namcan_this_month(app)
    with page.expect_response(re.compile(r"/leader/figures\.json\?.*district=namcan")):
        page.locator("#filter-district").select_option("namcan")
    expect(page.locator('[data-card="period"]')).to_have_text(str(before))
    expect(page.locator("#table-by_district tbody tr")).to_have_count(1)
    expect(page.locator("#table-by_district")).to_contain_text("Năm Căn")
    expect(page).to_have_url(re.compile(r"district=namcan"))
    expect(page.locator("#export-register-csv")).to_have_attribute("href", re.compile("district=namcan"))
    assert page.evaluate("window.__noReload === true")  # the same page: no reload happened
    shot(page, "filtered")

    create_case(app, category="disaster", district="namcan")  # a new report arrives
    with page.expect_response(re.compile(r"/leader/figures\.json")):
        page.clock.fast_forward("00:31")
    expect(page.locator('[data-card="period"]')).to_have_text(str(before + 1))
    assert page.evaluate("window.__noReload === true")
    assert violations == []

    english = new_context("desktop").new_page()
    login(english, "supervisor")
    english.locator("#nav-leader").click()
    english.locator("#lang-en").click()
    expect(english.locator("h1")).to_contain_text("Figures on report handling")
    expect(english.locator("#figure-on_time-heading")).to_contain_text("Deadlines met")


def test_dashboard_on_a_phone(new_context, shot):
    page = new_context("phone").new_page()
    login(page, "leader.police")
    page.goto("/leader/")
    expect(page.locator("#table-open_by_phase")).to_be_attached()
    expect(page.locator("#notifications")).to_be_attached()
    chart_drawn(page, "open_by_phase")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page scrolls sideways on a phone ({width} px)"
    shot(page, "phone")
