"""A diagram that fails at run time never loses a citizen's report.

Deploy dry-runs a new report through the diagram's first steps and refuses one that always
fails; one that fails only for some reports (here: a script that divides by zero for the
'disaster' topic) deploys, and then such a report is kept, acknowledged, flagged for the
designers and the portal, and started on the next deployed version.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from caseapp.extensions import db
from caseapp.models import Case, CaseEvent, Notification, User, WorkItem
from caseapp.services.administration.processes import deploy_bpmn
from caseapp.services.errors import ValidationFailed

from .helpers import Api

BUNDLED = (Path(__file__).resolve().parents[2] / "bpmn" / "field_report.bpmn").read_text("utf-8")


def with_triage(script: str) -> str:
    """The bundled diagram with a script task between the start event and the dispatch step."""
    xml = BUNDLED.replace(
        '<bpmn:flowNodeRef>submitted</bpmn:flowNodeRef>',
        '<bpmn:flowNodeRef>submitted</bpmn:flowNodeRef>\n        '
        '<bpmn:flowNodeRef>triage</bpmn:flowNodeRef>', 1)
    xml = xml.replace(
        '<bpmn:sequenceFlow id="flow_submitted" sourceRef="submitted" targetRef="merge_dispatch" />',
        '<bpmn:sequenceFlow id="flow_submitted" sourceRef="submitted" targetRef="triage" />\n    '
        '<bpmn:sequenceFlow id="flow_triaged" sourceRef="triage" targetRef="merge_dispatch" />\n    '
        '<bpmn:scriptTask id="triage" name="Phân loại" scriptFormat="python">'
        '<bpmn:incoming>flow_submitted</bpmn:incoming><bpmn:outgoing>flow_triaged</bpmn:outgoing>'
        f'<bpmn:script>{script}</bpmn:script></bpmn:scriptTask>', 1)
    xml = xml.replace('<bpmn:incoming>flow_submitted</bpmn:incoming>\n      <bpmn:outgoing>flow_to_dispatch',
                      '<bpmn:incoming>flow_triaged</bpmn:incoming>\n      <bpmn:outgoing>flow_to_dispatch', 1)
    assert xml.count("triage") >= 5
    return xml


def test_a_diagram_that_fails_every_new_report_is_refused_at_deploy(seeded):
    with pytest.raises(ValidationFailed) as refused:
        deploy_bpmn(with_triage("weight = 1 / 0"))
    assert "dry run" in refused.value.message and "triage" in refused.value.message


def test_a_report_the_process_cannot_start_is_kept_flagged_and_started_after_a_fix(seeded, client):
    broken, created = deploy_bpmn(with_triage("weight = 1 / (0 if category == 'disaster' else 1)"))
    assert created
    api = Api(client)
    response = api.call("POST", "/api/v1/reports", json={
        "full_name": "Nguyễn Văn An", "phone": "0912345678", "category": "disaster",
        "description": "Sạt lở bờ kè, nguy hiểm cho người đi đường"})
    assert response.status_code == 201, response.get_json()
    code = response.get_json()["tracking_code"]
    public = api.call("GET", f"/api/v1/reports/{code}")
    assert public.status_code == 200 and "1 / (0" not in public.get_data(as_text=True)

    case = db.session.scalars(db.select(Case).where(Case.tracking_code == code)).one()
    assert case.process_error and "triage" in case.process_error and case.phase is None
    assert [e.kind for e in db.session.scalars(db.select(CaseEvent).where(
        CaseEvent.case_id == case.id).order_by(CaseEvent.id))] == ["submitted", "process_failed"]
    told = {db.session.get(User, n.recipient_user_id).role for n in db.session.scalars(
        db.select(Notification).where(Notification.kind == "process_failed"))}
    assert told == {"designer", "supervisor"}
    detail = api.call("GET", f"/api/v1/cases/{code}", "supervisor").get_json()
    assert detail["process_error"] == case.process_error
    other = api.submit(category="health")  # a report the script handles goes on as usual
    assert api.item_for("operator", other)["task"] == "dispatch"

    fixed, created = deploy_bpmn(BUNDLED)  # the designer deploys a corrected diagram
    assert created
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert case.process_error is None and case.process_version_id == fixed.id
    assert case.phase == "dispatch"
    assert db.session.scalars(db.select(WorkItem).where(
        WorkItem.case_id == case.id, WorkItem.state == "open")).one().bpmn_id == "dispatch"
    assert db.session.scalars(db.select(CaseEvent.kind).where(
        CaseEvent.case_id == case.id).order_by(CaseEvent.id.desc())).first() == "process_started"
