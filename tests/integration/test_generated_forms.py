"""A user task whose form is generated from camunda:formData, run end to end (API and web).

The fixture tests/fixtures/site_visit.bpmn is the shipped field_report.bpmn with two extra
Agency-lane tasks on the resolve path: `site_visit` (date, long 1–5, boolean, enum, string
5–200) and, when the gateway `needs_followup or hazard_level >= 4 or road_closed == 'closed'`
holds, `followup` (a required text); then `publish` as before.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from caseapp.extensions import db
from caseapp.models import Case, WorkItem
from caseapp.services.administration.processes import deploy_bpmn

from .helpers import Api
from .web import login, text

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "site_visit.bpmn"
VALID = {"visit_date": "2026-03-05", "hazard_level": 4, "needs_followup": False,
         "road_closed": "partial", "remarks": "Cây đổ chắn một làn đường"}


@pytest.fixture
def site_visit(seeded):
    """The fixture diagram deployed: new reports start on it."""
    version, created = deploy_bpmn(FIXTURE.read_text(encoding="utf-8"))
    assert created
    return version


def to_site_visit(api: Api) -> tuple[str, dict]:
    """A report dispatched to the police and resolved: its site visit is waiting."""
    code = api.submit()
    api.complete("operator", code, "dispatch", {"action": "dispatch", "agency": "police"})
    api.complete("officer.police", code, "handle",
                 {"action": "resolve", "result": "Đã cử tổ công tác đến hiện trường."})
    return code, api.item_for("officer.police", code, "site_visit")


def fields_of(api: Api, user: str, item_id: str, **query) -> dict:
    response = api.call("GET", f"/api/v1/work-items/{item_id}", user, query_string=query)
    assert response.status_code == 200, response.get_json()
    return {f["id"]: f for f in response.get_json()["fields"]}


def test_the_api_describes_the_generated_form(site_visit, client):
    api = Api(client)
    code, item = to_site_visit(api)
    assert item["form"] == "site_visit" and item["task_name"] == "Khảo sát hiện trường"
    fields = fields_of(api, "officer.police", item["id"])
    assert list(fields) == ["visit_date", "hazard_level", "needs_followup", "road_closed", "remarks"]
    assert fields["visit_date"] == {"id": "visit_date", "type": "date", "label": "Ngày khảo sát",
                                    "required": True}
    assert fields["hazard_level"] == {"id": "hazard_level", "type": "long", "required": True,
                                      "label": "Mức độ nguy hiểm (1–5)", "default": 1,
                                      "min": 1, "max": 5}
    assert fields["needs_followup"]["type"] == "boolean"
    assert fields["needs_followup"]["required"] is False
    assert fields["road_closed"]["options"] == [
        {"id": "open", "name": "Thông xe"}, {"id": "partial", "name": "Hạn chế lưu thông"},
        {"id": "closed", "name": "Cấm đường"}]
    assert (fields["remarks"]["minlength"], fields["remarks"]["maxlength"]) == (5, 200)
    english = fields_of(api, "officer.police", item["id"], lang="en")
    assert english["visit_date"]["label"] == "Visit date"
    assert english["road_closed"]["label"] == "Road status"


def test_the_api_describes_the_built_in_forms_too(site_visit, client):
    api = Api(client)
    code = api.submit()
    item = api.item_for("operator", code, "dispatch")
    fields = fields_of(api, "operator", item["id"])
    assert list(fields) == ["action", "agency", "urgent", "note", "reject_reason", "duplicate_of"]
    assert fields["action"]["required"] is True
    assert [o["id"] for o in fields["action"]["options"]] == ["dispatch", "reject"]
    assert "police" in [o["id"] for o in fields["agency"]["options"]]
    assert fields["agency"]["required_when"] == {"action": "dispatch"}
    assert fields["urgent"]["type"] == "boolean"
    assert fields["note"]["maxlength"] == 2000
    assert {o["id"] for o in fields["reject_reason"]["options"]} == {
        "spam", "duplicate", "not_field_report", "insufficient_info"}
    assert fields["duplicate_of"]["required_when"] == {"reject_reason": "duplicate"}
    assert fields["action"]["label"] == "Cách xử lý"
    assert fields_of(api, "operator", item["id"], lang="en")["action"]["label"] == "Decision"
    api.complete("operator", code, "dispatch", {"action": "dispatch", "agency": "police"})
    handle = api.item_for("officer.police", code, "handle")
    fields = fields_of(api, "officer.police", handle["id"])
    assert [o["id"] for o in fields["action"]["options"]] == ["resolve", "return"]
    assert (fields["result"]["minlength"], fields["result"]["maxlength"]) == (5, 5000)
    assert (fields["return_reason"]["minlength"], fields["return_reason"]["maxlength"]) == (5, 2000)


# The tests below complete the generated form: they need the lead's completion command to call
# task_forms.clean_submission and to record the "task_completed" case event.

@pytest.mark.parametrize("field, value, message", [
    ("visit_date", None, "required"),
    ("visit_date", "05/03/2026", "must be a date (YYYY-MM-DD)"),
    ("hazard_level", None, "required"),
    ("hazard_level", "nhiều", "whole number"),
    ("hazard_level", 0, "must be between 1 and 5"),
    ("hazard_level", 6, "must be between 1 and 5"),
    ("needs_followup", "có lẽ", "must be true or false"),
    ("road_closed", None, "required"),
    ("road_closed", "flooded", "must be one of: open, partial, closed"),
    ("remarks", "ngắn", "at least 5 characters"),
    ("remarks", "x" * 201, "at most 200 characters"),
])
def test_each_rule_gives_a_422_on_its_field(site_visit, client, field, value, message):
    api = Api(client)
    code, item = to_site_visit(api)
    body = api.complete("officer.police", code, "site_visit", {**VALID, field: value}, expect=422)
    assert body["error"]["code"] == "validation_failed"
    assert body["error"]["fields"] == {field: [message]}
    assert api.item_for("officer.police", code, "site_visit")["id"] == item["id"]  # still open


def test_typed_values_reach_the_gateway_and_the_audit(site_visit, client):
    api = Api(client)
    code, item = to_site_visit(api)
    # a string "4" would not pass `hazard_level >= 4`: the gateway sees the cleaned int
    api.complete("officer.police", code, "site_visit", {**VALID, "hazard_level": "4"})
    followup = api.item_for("officer.police", code, "followup")
    assert fields_of(api, "officer.police", followup["id"])["followup_plan"]["required"] is True
    api.complete("officer.police", code, "followup", {"followup_plan": "Kiểm tra lại sau 3 ngày."})
    api.item_for("operator", code, "publish")

    case = db.session.scalars(db.select(Case).where(Case.tracking_code == code)).one()
    assert case.process_version_id == site_visit.id
    audit = api.call("GET", f"/api/v1/cases/{code}", "operator").get_json()["audit"]
    visits = [e["detail"] for e in audit if e["kind"] == "task_completed"
              and e["detail"].get("task") == "site_visit"]
    assert len(visits) == 1
    assert visits[0]["values"] == {"visit_date": "2026-03-05", "hazard_level": 4,
                                   "needs_followup": False, "road_closed": "partial",
                                   "remarks": "Cây đổ chắn một làn đường"}
    shown = {f["id"]: (f["label"], f["text"]) for f in visits[0]["fields"]}
    assert shown["visit_date"] == ("Ngày khảo sát", "05/03/2026")
    assert shown["road_closed"] == ("Tình trạng giao thông", "Hạn chế lưu thông")
    assert shown["hazard_level"] == ("Mức độ nguy hiểm (1–5)", "4")


def test_low_hazard_goes_straight_to_publish(site_visit, client):
    api = Api(client)
    code, _ = to_site_visit(api)
    api.complete("officer.police", code, "site_visit",
                 {**VALID, "hazard_level": 2, "remarks": None})
    assert api.item_for("operator", code, "publish")["task"] == "publish"
    open_tasks = db.session.scalars(db.select(WorkItem.bpmn_id).join(Case).where(
        Case.tracking_code == code, WorkItem.state == "open")).all()
    assert open_tasks == ["publish"]


def test_the_task_page_draws_checks_and_submits_the_generated_form(site_visit, client):
    api = Api(client)
    code, item = to_site_visit(api)
    login(client, "officer.police")
    page = text(client.get(f"/work/items/{item['id']}"))
    assert "Khảo sát hiện trường" in page
    for marker in ('type="date"', 'id="visit_date"', 'type="number"', 'id="hazard_level"',
                   'type="checkbox"', 'id="needs_followup"', '<select', 'Cấm đường',
                   'id="remarks"', 'maxlength="200"', "Ngày khảo sát"):
        assert marker in page, marker
    response = client.post(f"/work/items/{item['id']}",
                           data={"visit_date": "", "hazard_level": "9", "road_closed": "open",
                                 "remarks": "abc"})
    assert response.status_code == 422
    page = text(response)
    assert 'id="visit_date-error"' in page and 'id="hazard_level-error"' in page
    assert 'id="remarks-error"' in page and 'id="road_closed-error"' not in page
    english = text(client.get(f"/work/items/{item['id']}?lang=en"))
    assert "Visit date" in english and "Hazard level (1–5)" in english

    # completing needs the lead's completion command (clean_submission + task_completed)
    response = client.post(f"/work/items/{item['id']}?lang=vi",
                           data={"visit_date": "2026-03-05", "hazard_level": "1",
                                 "road_closed": "open", "remarks": "Không có gì nguy hiểm"})
    assert response.status_code == 302, text(response)[:2000]
    case_page = text(client.get(f"/cases/{code}"))
    assert "Ngày khảo sát" in case_page and "05/03/2026" in case_page
    assert "Thông xe" in case_page


def test_deploy_refuses_forms_the_app_cannot_handle(seeded):
    from caseapp.models import ProcessVersion
    from caseapp.services.errors import ValidationFailed
    xml = (FIXTURE.read_text(encoding="utf-8")
           .replace('id="hazard_level" label="Mức độ nguy hiểm (1–5)" type="long"',
                    'id="hazard_level" label="Mức độ nguy hiểm (1–5)" type="double"')
           .replace('<camunda:constraint name="maxlength" config="200" />',
                    '<camunda:constraint name="readonly" />')
           .replace('camunda:formKey="followup_plan">', 'camunda:formKey="followup_plan_v2">')
           .replace('<camunda:formField id="followup_plan" ', '<camunda:formField id="plan" '))
    before = db.session.scalar(db.select(db.func.count()).select_from(ProcessVersion))
    with pytest.raises(ValidationFailed) as caught:
        deploy_bpmn(xml)
    message = " ".join(caught.value.fields["bpmn"]) + caught.value.message
    assert "user task 'site_visit' (Khảo sát hiện trường): field 'hazard_level' has type 'double'" in message
    assert "user task 'site_visit' (Khảo sát hiện trường): field 'remarks' has constraint 'readonly'" in message
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count()).select_from(ProcessVersion)) == before
    # a form key that is neither built in nor backed by formData fields
    bare = FIXTURE.read_text(encoding="utf-8").replace(
        '<camunda:formField id="followup_plan" label="Kế hoạch theo dõi" type="string">', "<!--").replace(
        '<camunda:constraint name="maxlength" config="500" />\n            </camunda:validation>\n'
        '          </camunda:formField>', "-->")
    with pytest.raises(ValidationFailed) as caught:
        deploy_bpmn(bare)
    assert any("user task 'followup' (Lập kế hoạch theo dõi): form key 'followup_plan' is neither "
               "a built-in form" in p for p in caught.value.fields["bpmn"]), caught.value.fields
