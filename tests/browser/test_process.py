"""A process designer lands on the process page, sees the diagram rendered and deploys a version."""
from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from .helpers import login

BUNDLED = Path(__file__).resolve().parents[2] / "bpmn" / "field_report.bpmn"


def _latest_version(app) -> int:
    from caseapp.extensions import db
    from caseapp.models import ProcessVersion
    with app.app_context():
        latest = db.session.scalar(db.select(db.func.max(ProcessVersion.version)))
        db.session.remove()
    return latest


def test_designer_sees_the_diagram_and_deploys(new_context, live_server, shot, tmp_path):
    next_version = _latest_version(live_server.app) + 1
    page = new_context("desktop").new_page()
    login(page, "designer")
    expect(page).to_have_url(f"{live_server.url}/process/")
    expect(page.locator("#bpmn-canvas")).to_have_attribute("data-ready", "true")
    expect(page.locator("#bpmn-canvas svg").first).to_be_visible()
    shot(page, "process")

    bad = tmp_path / "bad.bpmn"
    bad.write_text(BUNDLED.read_text("utf-8").replace(
        "notify('agency_leader', reason='urgent', agency=agency)", "open('/etc/passwd').read()"), "utf-8")
    page.set_input_files("#bpmn", str(bad))
    page.click("#deploy-button")
    expect(page.locator("#deploy-error")).to_be_visible()
    shot(page, "process-refused")

    good = tmp_path / "good.bpmn"
    good.write_text(BUNDLED.read_text("utf-8").replace(
        'name="Đã trả lời"', 'name="Đã trả lời người phản ánh"'), "utf-8")
    page.set_input_files("#bpmn", str(good))
    page.click("#deploy-button")
    # the next version number (tests before this one, e.g. test_modeler, may have deployed some)
    expect(page.locator("#process-versions")).to_contain_text(f"field_report v{next_version}")
    expect(page.locator("#bpmn-canvas")).to_have_attribute("data-ready", "true")
    shot(page, "process-deployed")
