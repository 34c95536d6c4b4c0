"""The modeler in a real browser (issue 9): a designer draws a new phase into the active diagram
(a user task with a generated form field and a deadline timer), sees the phase's missing SLA
policy flagged on the timer, the admin creates the policy, the designer deploys from the modeler;
a new case reaches the new task with its form, a running case keeps its version. Under the CSP."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from .helpers import create_case, login, open_item_id
from .test_csp import watch_csp

# Drawn through bpmn-js's own modeling API (what the palette and context pad call): between the
# agency's decision ("resolved") and the reply, in the Agency lane, a user task `visit` with a
# camunda:formData field, and on it a non-interrupting timer sla_due('site_visit').
DRAW = """() => {
  const modeler = window.casebridgeModeler;
  const registry = modeler.get("elementRegistry"), modeling = modeler.get("modeling");
  const factory = modeler.get("elementFactory"), moddle = modeler.get("moddle");
  const bpmnFactory = modeler.get("bpmnFactory");
  const participant = registry.filter(e => e.type === "bpmn:Participant")[0];
  const publish = registry.get("publish"), resolve = registry.get("flow_resolve");
  const visit = modeling.createShape(factory.createShape({
    type: "bpmn:UserTask", businessObject: bpmnFactory.create("bpmn:UserTask", {id: "visit"})}),
                                     {x: 1290, y: 600}, participant);
  modeling.updateProperties(visit, {"camunda:formKey": "site_visit_form"});
  const field = moddle.create("camunda:FormField", {id: "visit_notes", label: "Ghi chép khảo sát",
                                                    type: "string"});
  const formData = moddle.create("camunda:FormData", {fields: [field]});
  modeling.updateProperties(visit, {extensionElements: moddle.create("bpmn:ExtensionElements",
                                                                     {values: [formData]})});
  modeling.reconnectEnd(resolve, visit, {x: 1240, y: 600});
  modeling.connect(visit, publish);
  const timer = modeling.createShape(
    factory.createShape({type: "bpmn:BoundaryEvent", eventDefinitionType: "bpmn:TimerEventDefinition",
                         businessObject: bpmnFactory.create("bpmn:BoundaryEvent",
                                                            {id: "visit_deadline"})}),
    {x: 1290, y: 640}, visit, {attach: true});
  modeling.updateProperties(timer, {cancelActivity: false, name: "Hạn khảo sát"});
  const definition = timer.businessObject.eventDefinitions[0];
  modeling.updateModdleProperties(timer, definition, {
    timeDate: moddle.create("bpmn:FormalExpression", {body: "sla_due('site_visit')"})});
  const lane = registry.get("Agency").businessObject.flowNodeRef.map(e => e.id);
  return [lane.includes("visit"), timer.businessObject.attachedToRef.id, timer.id];
}"""


def _case_version(app, code: str) -> int:
    from caseapp.extensions import db
    from caseapp.models import Case, ProcessVersion
    with app.app_context():
        number = db.session.scalar(db.select(ProcessVersion.version).join(
            Case, Case.process_version_id == ProcessVersion.id).where(Case.tracking_code == code))
        db.session.remove()
    return number


def _active(app) -> tuple[str, int]:
    from caseapp.extensions import db
    from caseapp.services.administration.processes import active_version
    with app.app_context():
        version = active_version()
        found = version.bpmn_xml, version.version
        db.session.remove()
    return found


def _resolve(app, code: str) -> None:
    from caseapp.extensions import db
    from caseapp.models import User
    from caseapp.services.cases import tasks
    item_id = open_item_id(app, code, "handle")
    with app.app_context():
        officer = db.session.scalars(db.select(User).where(User.username == "officer.police")).one()
        tasks.complete(officer, item_id, {"action": "resolve", "result": "Đã kiểm tra hiện trường."})
        db.session.remove()


def _restore(app, xml: str) -> None:
    """Later browser tests run the shipped process: deploy it again (a new version)."""
    from caseapp.extensions import db
    from caseapp.services.administration.processes import deploy_bpmn
    with app.app_context():
        deploy_bpmn(xml)
        db.session.remove()


def test_designer_draws_a_new_phase_and_deploys_it(new_context, live_server, shot):
    app = live_server.app
    original_xml, old_number = _active(app)
    running = create_case(app, agency="police")  # a running case: keeps its version
    try:
        _draw_check_and_deploy(new_context, app, shot, old_number)
        assert _case_version(app, running) == old_number
        _resolve(app, running)  # it goes on without the new step: straight to the reply
        assert open_item_id(app, running, "publish")

        fresh = create_case(app, agency="police")
        assert _case_version(app, fresh) == old_number + 1
        _resolve(app, fresh)
        officer = new_context("desktop").new_page()
        violations = watch_csp(officer)
        login(officer, "officer.police")
        officer.goto(f"/work/items/{open_item_id(app, fresh, 'site_visit_form')}")
        expect(officer.locator("#task-title")).to_contain_text("Khảo sát hiện trường")
        expect(officer.get_by_label("Ghi chép khảo sát")).to_be_visible()
        shot(officer, "new-task-with-its-form")
        assert violations == []
    finally:
        _restore(app, original_xml)


def _draw_check_and_deploy(new_context, app, shot, old_number):
    page = new_context("desktop").new_page()
    violations = watch_csp(page)
    login(page, "designer")
    page.click("#open-modeler")
    canvas = page.locator("#modeler-canvas")
    expect(canvas).to_have_attribute("data-ready", "true")
    expect(page.locator("#modeler-problems")).to_contain_text("Không")  # "no problems" (vi)
    assert page.evaluate(DRAW) == [True, "visit", "visit_deadline"]

    # the properties panel: name the new task
    page.locator('.djs-element[data-element-id="visit"]').click()
    general = page.locator('#modeler-properties [data-group-id="group-general"]')
    if not general.locator("#bio-properties-panel-name").is_visible():
        general.locator(".bio-properties-panel-group-header").click()
    page.locator("#bio-properties-panel-name").fill("Khảo sát hiện trường")
    expect(page.locator('.djs-element[data-element-id="visit"]')).to_contain_text("Khảo sát")

    # the new phase has no SLA policy: flagged in the list and on the timer itself
    problem = page.locator('#modeler-problems li[data-rule="sla_policy"]')
    expect(problem).to_have_count(1)
    expect(problem).to_have_attribute("data-element-id", "visit_deadline")
    expect(page.locator('.djs-element[data-element-id="visit_deadline"]')).to_have_class(
        re.compile(r"\bcb-problem-error\b"))
    problem.locator("button").click()  # selects the element
    assert page.evaluate("window.casebridgeModeler.get('selection').get().map(e => e.id)") == \
        ["visit_deadline"]
    page.locator("#draft-title").fill("Thêm bước khảo sát hiện trường")
    page.click("#modeler-save")
    expect(page.locator("#modeler-status")).to_have_attribute("data-kind", "success")
    expect(page).to_have_url(re.compile(r"/process/modeler\?draft=\d+$"))
    page.click("#modeler-deploy")  # refused: an error remains
    expect(page.locator("#modeler-status")).to_have_attribute("data-kind", "error")
    page.click("#modeler-diff")
    expect(page.locator('#modeler-diff-list li.diff-added[data-element-id="visit"]')).to_have_count(1)
    expect(page.locator('.djs-element[data-element-id="visit"]')).to_have_class(
        re.compile(r"\bcb-diff-added\b"))
    shot(page, "missing-policy-flagged")

    admin = new_context("desktop").new_page()
    admin_violations = watch_csp(admin)
    login(admin, "admin")
    admin.goto("/admin/sla")
    admin.click("#sla-new")
    admin.locator("#phase").fill("site_visit")
    admin.locator("#working").fill("PT8H")
    admin.locator("#dayoff").fill("PT24H")
    admin.locator("#sla-form button[type=submit]").click()
    expect(admin.locator("#sla-site_visit")).to_be_visible()
    assert admin_violations == []

    page.reload()  # the saved draft reopens
    expect(canvas).to_have_attribute("data-ready", "true")
    expect(page.locator('.djs-element[data-element-id="visit"]')).to_contain_text("Khảo sát")
    expect(page.locator("#modeler-problem-count")).to_have_text(re.compile(r"^0 lỗi"))
    expect(page.locator('#modeler-problems li[data-rule="sla_policy"]')).to_have_count(0)
    page.click("#modeler-deploy")
    expect(page.locator("#modeler-status")).to_have_attribute("data-kind", "success")
    expect(page.locator("#modeler-status")).to_contain_text(str(old_number + 1))
    shot(page, "deployed")
    assert _active(app)[1] == old_number + 1
    assert violations == []


def test_on_a_phone_the_modeler_says_it_needs_a_wider_screen(new_context):
    page = new_context("phone").new_page()
    login(page, "designer")
    page.goto("/process/modeler")
    expect(page.locator("#modeler-narrow")).to_be_visible()
    expect(page.locator("#modeler")).to_be_hidden()
    expect(page.locator("#modeler-versions")).to_be_visible()
