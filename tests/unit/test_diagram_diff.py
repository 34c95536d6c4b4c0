"""diff_diagrams: elements added, removed and changed, with what changed (pure lxml)."""
from __future__ import annotations

import pytest

from caseapp.services.process_design.diff import UnreadableDiagram, diff_diagrams
from tests.diagram_edits import (B, BUNDLED, Cq, by_id, insert_after, remove, root_of, script_task,
                                 set_condition, set_timer, text, user_task)

FIELDS = ('<camunda:formField id="score" label="Điểm" type="long">'
          '<camunda:validation><camunda:constraint name="max" config="5" /></camunda:validation>'
          '</camunda:formField>'
          '<camunda:formField id="verdict" label="Kết luận" type="enum">'
          '<camunda:value id="ok" name="Đạt" /><camunda:value id="redo" name="Làm lại" />'
          '</camunda:formField>'
          '<camunda:formField id="note" label="Ghi chú" type="string" />')


def changes(diff: dict, ident: str) -> dict:
    (entry,) = [c for c in diff["changed"] if c["id"] == ident]
    return {c["what"]: c for c in entry["changes"]}


def test_the_same_diagram_has_no_difference_and_the_layout_is_no_change():
    assert diff_diagrams(BUNDLED, BUNDLED) == {"added": [], "removed": [], "changed": []}
    moved = BUNDLED.replace('<dc:Bounds x="340" y="200"', '<dc:Bounds x="360" y="220"')
    assert moved != BUNDLED
    assert diff_diagrams(BUNDLED, moved) == {"added": [], "removed": [], "changed": []}


def test_added_and_removed_elements_and_the_flows_around_them():
    root = root_of()
    insert_after(root, "flow_published", user_task("review", "review", FIELDS))
    diff = diff_diagrams(BUNDLED, text(root))
    added = {(a["id"], a["type"]) for a in diff["added"]}
    assert added == {("review", "userTask"), ("flow_published_after", "sequenceFlow")}
    assert diff["removed"] == []
    assert changes(diff, "flow_published")["target"]["after"] == "review"
    assert changes(diff, "closed")["incoming"] == {
        "what": "incoming", "before": ["flow_published"], "after": ["flow_published_after"]}
    back = diff_diagrams(text(root), BUNDLED)
    assert {r["id"] for r in back["removed"]} == {"review", "flow_published_after"}


def test_name_type_lane_and_queue_changes():
    root = root_of()
    by_id(root, "dispatch").set("name", "Tiếp nhận")
    by_id(root, "handle").set(Cq("candidateGroups"), "agency_leader")
    portal, agency = by_id(root, "Portal"), by_id(root, "Agency")
    ref = [r for r in portal.findall(B("flowNodeRef")) if r.text == "notify_urgent"][0]
    agency.append(ref)
    by_id(root, "compose_rejection").tag = B("task")
    diff = diff_diagrams(BUNDLED, text(root))
    assert changes(diff, "dispatch")["name"]["after"] == "Tiếp nhận"
    assert changes(diff, "handle")["candidate_groups"] == {
        "what": "candidate_groups", "before": None, "after": "agency_leader"}
    assert changes(diff, "notify_urgent")["lane"] == {"what": "lane", "before": "Portal",
                                                      "after": "Agency"}
    assert changes(diff, "compose_rejection")["type"]["after"] == "task"


def test_form_field_changes_name_the_field_and_what_changed():
    root = root_of()
    insert_after(root, "flow_published", user_task("review", "review", FIELDS))
    base = text(root)
    edited = (base.replace('config="5"', 'config="10"')
              .replace('<camunda:value id="redo" name="Làm lại"/>', "")
              .replace('<camunda:formField id="note" label="Ghi chú" type="string"/>',
                       '<camunda:formField id="remark" label="Nhận xét" type="string"/>'))
    assert edited.count("config=\"10\"") == 1 and "redo" not in edited and "remark" in edited
    fields = changes(diff_diagrams(base, edited), "review")["form_fields"]["fields"]
    assert fields["added"] == ["remark"] and fields["removed"] == ["note"]
    by_field = {c["id"]: c for c in fields["changed"]}
    assert by_field["score"]["before"]["constraints"] == {"max": "5"}
    assert by_field["score"]["after"]["constraints"] == {"max": "10"}
    assert by_field["verdict"]["after"]["values"] == ["ok"]
    retyped = base.replace('id="score" label="Điểm" type="long"', 'id="score" label="Điểm" type="string"')
    (score,) = changes(diff_diagrams(base, retyped), "review")["form_fields"]["fields"]["changed"]
    assert (score["before"]["type"], score["after"]["type"]) == ("long", "string")


def test_timers_conditions_defaults_and_scripts():
    root = root_of()
    set_timer(root, "publish_deadline", "PT4H", kind="timeDuration")
    set_condition(root, "flow_reject", "action == 'reject' and True")
    del by_id(root, "urgent_decision").attrib["default"]
    by_id(root, "notify_urgent").find(B("script")).text = "notify('supervisor', agency=agency)"
    by_id(root, "handle_deadline").set("cancelActivity", "true")
    diff = diff_diagrams(BUNDLED, text(root))
    assert changes(diff, "publish_deadline")["timer"] == {
        "what": "timer", "before": {"kind": "timeDate", "expression": "sla_due('publish')"},
        "after": {"kind": "timeDuration", "expression": "PT4H"}}
    assert changes(diff, "flow_reject")["condition"]["after"] == "action == 'reject' and True"
    assert changes(diff, "urgent_decision")["default_flow"]["before"] == "flow_not_urgent"
    assert "supervisor" in changes(diff, "notify_urgent")["script"]["after"]
    assert changes(diff, "handle_deadline")["interrupting"]["after"] is True


def test_a_removed_element_and_an_unreadable_side():
    root = root_of()
    insert_after(root, "flow_submitted", script_task("triage", "weight = 1"))
    remove(root, "return_overdue")
    diff = diff_diagrams(BUNDLED, text(root))
    assert {r["id"] for r in diff["removed"]} == {"return_overdue"}
    assert {a["id"] for a in diff["added"]} == {"triage", "flow_submitted_after"}
    with pytest.raises(UnreadableDiagram):
        diff_diagrams(BUNDLED, "<bpmn:definitions")
