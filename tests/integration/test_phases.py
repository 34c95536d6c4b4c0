"""Phases come from the diagram: a new sla_due('<phase>') needs an SLA policy before deploying."""
import io
from pathlib import Path

from caseapp.extensions import db
from caseapp.models import ProcessVersion, SlaPolicy

BUNDLED = (Path(__file__).resolve().parents[2] / "bpmn" / "field_report.bpmn").read_text("utf-8")

VISIT = """
    <bpmn:userTask id="visit" name="Khảo sát hiện trường" camunda:formKey="site_visit_form">
      <bpmn:extensionElements>
        <camunda:formData>
          <camunda:formField id="visit_notes" label="Ghi chép khảo sát" type="string" />
        </camunda:formData>
      </bpmn:extensionElements>
      <bpmn:incoming>flow_resolve</bpmn:incoming>
      <bpmn:outgoing>flow_visited</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="flow_visited" sourceRef="visit" targetRef="publish" />
    <bpmn:boundaryEvent id="visit_deadline" name="Hạn khảo sát" cancelActivity="false" attachedToRef="visit">
      <bpmn:timerEventDefinition id="visit_deadline_timer">
        <bpmn:timeDate xsi:type="bpmn:tFormalExpression">sla_due('site_visit')</bpmn:timeDate>
      </bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
"""


def with_site_visit(xml: str = BUNDLED) -> str:
    """The shipped diagram with a site visit between handling and the reply (lane Agency)."""
    resolve = 'id="flow_resolve" name='
    start = xml.index(resolve)
    end = xml.index(">", start)
    flow = xml[start:end].replace('targetRef="publish"', 'targetRef="visit"')
    xml = xml[:start] + flow + xml[end:]
    xml = xml.replace('<bpmn:incoming>flow_resolve</bpmn:incoming>\n      <bpmn:outgoing>flow_published',
                      '<bpmn:incoming>flow_visited</bpmn:incoming>\n      <bpmn:outgoing>flow_published')
    xml = xml.replace("<bpmn:flowNodeRef>handle</bpmn:flowNodeRef>",
                      "<bpmn:flowNodeRef>handle</bpmn:flowNodeRef>\n"
                      "        <bpmn:flowNodeRef>visit</bpmn:flowNodeRef>\n"
                      "        <bpmn:flowNodeRef>visit_deadline</bpmn:flowNodeRef>")
    return xml.replace("  </bpmn:process>", VISIT + "  </bpmn:process>")


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def versions() -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(ProcessVersion))


def test_a_new_phase_needs_its_policy_before_deploy(seeded, tmp_path):
    diagram = tmp_path / "site_visit.bpmn"
    diagram.write_text(with_site_visit(), encoding="utf-8")
    refused = run(seeded, "deploy", str(diagram))
    assert refused.exit_code == 2
    assert "site_visit" in refused.output
    assert "flask --app wsgi sla set site_visit --working PT8H --dayoff PT24H" in refused.output
    assert versions() == 1

    created = run(seeded, "sla", "set", "site_visit", "--working", "PT8H", "--dayoff", "PT24H",
                  "--label", "Khảo sát hiện trường", "--label-en", "Site visit")
    assert created.exit_code == 0, created.output
    row = db.session.get(SlaPolicy, "site_visit")
    assert (row.working_duration, row.dayoff_duration, row.label, row.label_en) == \
        ("PT8H", "PT24H", "Khảo sát hiện trường", "Site visit")

    deployed = run(seeded, "deploy", str(diagram))
    assert deployed.exit_code == 0, deployed.output
    assert "field_report v2 deployed" in deployed.output


def test_invalid_phase_names_are_refused(seeded):
    for bad in ("Site_Visit", "site visit", "1visit", "site-visit", "x" * 41):
        result = run(seeded, "sla", "set", bad, "--working", "PT8H", "--dayoff", "PT24H")
        assert result.exit_code == 2, bad
        assert "not a phase name" in result.output and "lowercase" in result.output
    assert db.session.scalar(db.select(db.func.count()).select_from(SlaPolicy).where(
        SlaPolicy.phase.not_in(["dispatch", "handle", "return", "publish"]))) == 0


def test_a_diagram_with_an_invalid_phase_name_is_refused(seeded):
    from caseapp.services.administration.processes import deploy_bpmn
    from caseapp.services.errors import ValidationFailed
    bad = with_site_visit().replace("sla_due('site_visit')", "sla_due('Site Visit')")
    try:
        deploy_bpmn(bad)
    except ValidationFailed as exc:
        assert any("'Site Visit'" in p and "not a valid phase name" in p for p in exc.fields["bpmn"])
    else:
        raise AssertionError("deployed a diagram with an invalid phase name")


def test_every_problem_is_listed_on_the_upload_page(seeded, client):
    client.post("/login", data={"username": "designer", "password": "pw"})
    two_phases = with_site_visit().replace("sla_due('return')", "sla_due('late_return')")
    response = client.post("/process/deploy", content_type="multipart/form-data",
                           data={"bpmn": (io.BytesIO(two_phases.encode("utf-8")), "p.bpmn")})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert 'id="deploy-problems"' in body
    assert "sla set late_return" in body and "sla set site_visit" in body
    assert versions() == 1


def test_a_new_phase_appears_in_admin_and_on_case_pages(seeded, client):
    from caseapp.services.administration.sla_settings import phase_label
    run(seeded, "sla", "set", "site_visit", "--working", "PT8H", "--dayoff", "PT24H")
    client.post("/login", data={"username": "admin", "password": "pw"})
    page = client.get("/admin/sla").get_data(as_text=True)
    assert 'id="sla-site_visit"' in page
    # a label given in admin is what people read, in each language
    response = client.post("/admin/sla/site_visit/edit", data={
        "working": "PT8H", "dayoff": "PT24H", "label": "Khảo sát hiện trường", "label_en": "Site visit"})
    assert response.status_code == 302
    assert "Khảo sát hiện trường" in client.get("/admin/sla").get_data(as_text=True)
    assert "Site visit" in client.get("/admin/sla?lang=en").get_data(as_text=True)
    assert phase_label("site_visit", "vi") == "Khảo sát hiện trường"
    assert phase_label("site_visit", "en") == "Site visit"
    # the built-in phases keep their labels
    assert phase_label("dispatch", "vi") == "Đang tiếp nhận và chuyển xử lý"
    assert phase_label("dispatch", "en") == "Receiving and dispatching"
    assert phase_label("unknown_phase", "en") == "unknown_phase"


def test_admin_creates_a_policy_for_a_new_phase(seeded, client):
    client.post("/login", data={"username": "admin", "password": "pw"})
    response = client.post("/admin/sla/new", data={"phase": "site_visit", "working": "PT8H",
                                                   "dayoff": "PT24H", "label": "Khảo sát hiện trường"})
    assert response.status_code == 302
    assert db.session.get(SlaPolicy, "site_visit").label == "Khảo sát hiện trường"
    refused = client.post("/admin/sla/new", data={"phase": "Site_Visit", "working": "PT8H",
                                                  "dayoff": "PT24H"})
    assert refused.status_code == 422
    assert db.session.get(SlaPolicy, "Site_Visit") is None
