"""Moving running cases in a browser (issue 9): a designer deploys a version that renames the
agency's task, runs the dry run (a case at dispatch can move; a case whose agency task is done
cannot, and the page says why), applies, watches the progress reach the end without a reload,
reverts a move, and the live diagram on /process/ counts the moved cases where they wait."""
from __future__ import annotations

import re

from lxml import etree
from playwright.sync_api import expect

from .helpers import create_case, login, open_item_id
from .test_csp import watch_csp

BPMN = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}
RENAMED = "Xử lý phản ánh (bản mới)"


def _active_xml(app) -> tuple[str, int]:
    from caseapp.extensions import db
    from caseapp.services.administration.processes import active_version
    with app.app_context():
        version = active_version()
        xml, number = version.bpmn_xml, version.version
        db.session.remove()
    return xml, number


def _deploy(app, xml: str) -> int:
    from caseapp.extensions import db
    from caseapp.services.administration.processes import deploy_bpmn
    with app.app_context():
        version, _ = deploy_bpmn(xml)
        number = version.version
        db.session.remove()
    return number


def _renamed(xml: str) -> str:
    root = etree.fromstring(xml.encode("utf-8"))
    root.find('.//bpmn:userTask[@id="handle"]', BPMN).set("name", RENAMED)
    return etree.tostring(root, encoding="unicode")


def _resolve(app, code: str) -> None:
    from caseapp.extensions import db
    from caseapp.models import User
    from caseapp.services.cases import tasks
    item_id = open_item_id(app, code, "handle")
    with app.app_context():
        officer = db.session.scalars(db.select(User).where(User.username == "officer.police")).one()
        tasks.complete(officer, item_id, {"action": "resolve", "result": "Đã sửa xong đèn tín hiệu."})
        db.session.remove()


def _state(app, code: str) -> tuple[int, int]:
    """(version number, open work items waiting at dispatch in the whole province)."""
    from caseapp.extensions import db
    from caseapp.models import Case, ProcessVersion, WorkItem
    with app.app_context():
        number = db.session.scalar(db.select(ProcessVersion.version).join(
            Case, Case.process_version_id == ProcessVersion.id).where(Case.tracking_code == code))
        waiting = db.session.scalar(db.select(db.func.count(db.distinct(WorkItem.case_id))).where(
            WorkItem.state == "open", WorkItem.bpmn_id == "dispatch"))
        db.session.remove()
    return number, waiting


def test_dry_run_apply_progress_revert_and_the_live_diagram(new_context, live_server, shot):
    app = live_server.app
    original_xml, old_number = _active_xml(app)
    movable = create_case(app)                    # waits at dispatch
    blocked = create_case(app, agency="police")  # the agency resolves it: waits at publish
    _resolve(app, blocked)
    new_number = _deploy(app, _renamed(original_xml))
    assert new_number > old_number
    try:
        page = new_context("desktop").new_page()
        violations = watch_csp(page)
        login(page, "designer")
        page.locator("#open-moves").click()
        expect(page).to_have_url(re.compile(r"/process/moves/"))
        page.locator("#moves-to").select_option(str(new_number))
        page.locator("#moves-dry-run").click()
        ok_row = page.locator(f'#moves-table tr[data-code="{movable}"]')
        blocked_row = page.locator(f'#moves-table tr[data-code="{blocked}"]')
        expect(ok_row).to_have_class("move-ok")
        expect(ok_row.locator('[data-col="verdict"]')).to_contain_text("chuyển được")
        expect(blocked_row).to_have_class("move-blocked")
        expect(blocked_row.locator('[data-col="verdict"]')).to_contain_text("không chuyển được")
        expect(blocked_row.locator('li[data-task="handle"]')).to_contain_text(
            "“Xử lý phản ánh” (handle) đã hoàn thành và phiên bản mới đã sửa bước này")
        shot(page, "dry-run")

        page.evaluate("window.__noReload = true")
        with page.expect_response(re.compile(r"/process/moves/\d+$")):
            page.locator("#moves-apply").click()
        expect(page.locator("#moves-progress")).to_be_visible()
        expect(page.locator("#moves-progress-state")).to_have_text("Đã xong.")
        assert page.evaluate("window.__noReload === true")
        assert int(page.locator('[data-count="moved"]').inner_text()) >= 1
        assert int(page.locator('[data-count="blocked"]').inner_text()) >= 1
        shot(page, "progress-done")
        assert _state(app, movable)[0] == new_number
        assert _state(app, blocked)[0] == old_number

        page.locator("#moves-run-link").click()
        expect(page.locator(f"#revert-{movable}")).to_be_visible()

        # the live diagram: the moved case still waits at dispatch and is counted there
        page.goto("/process/")
        expect(page.locator("#bpmn-canvas")).to_have_attribute("data-heat", "drawn")
        waiting = str(_state(app, movable)[1])
        expect(page.locator('#live-table tr[data-task="dispatch"] [data-col="waiting"]')).to_have_text(waiting)
        expect(page.locator('#bpmn-canvas .heat-badge[data-task="dispatch"] .heat-waiting')).to_have_text(waiting)
        shot(page, "live-diagram-after-move")

        page.go_back()
        page.locator(f"#revert-{movable}").click()
        expect(page.locator(".flash")).to_contain_text(f"Đã hoàn tác việc chuyển phản ánh {movable}")
        assert _state(app, movable)[0] == old_number
        assert violations == []
    finally:
        _deploy(app, original_xml)  # later scenarios start reports on the diagram they expect
