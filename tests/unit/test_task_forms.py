"""Forms generated from camunda:formData: what the engine reads, what deploy refuses, checking values."""
from __future__ import annotations

import pytest

from caseapp.engine import FormFieldSpec, ProcessRunner, TaskFormSpec, compile_bpmn, process_forms
from caseapp.services.cases.task_forms import clean_fields, form_problems, readable_values
from caseapp.services.errors import ValidationFailed

PROCESS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
                  id="defs" targetNamespace="http://casebridge.example/test">
  <bpmn:process id="inspection" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="inspect" name="Kiểm tra" camunda:formKey="{key}">
      <bpmn:extensionElements><camunda:formData>{fields}</camunda:formData></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="inspect" />
    <bpmn:sequenceFlow id="f2" sourceRef="inspect" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"""

EVERY_KIND = """
  <camunda:formField id="visit_date" label="Ngày khảo sát" type="date" defaultValue="2026-03-02">
    <camunda:properties><camunda:property id="label_en" value="Visit date" /></camunda:properties>
    <camunda:validation><camunda:constraint name="required" /></camunda:validation>
  </camunda:formField>
  <camunda:formField id="hazard_level" label="Mức độ" type="long" defaultValue="2">
    <camunda:validation>
      <camunda:constraint name="required" config="true" />
      <camunda:constraint name="min" config="1" />
      <camunda:constraint name="max" config="5" />
    </camunda:validation>
  </camunda:formField>
  <camunda:formField id="needs_followup" label="Cần theo dõi" type="boolean" defaultValue="true" />
  <camunda:formField id="road" label="Giao thông" type="enum" defaultValue="open">
    <camunda:value id="open" name="Thông xe" />
    <camunda:value id="closed" name="Cấm đường" />
  </camunda:formField>
  <camunda:formField id="remarks" label="Ghi chú" type="string">
    <camunda:validation>
      <camunda:constraint name="minlength" config="5" />
      <camunda:constraint name="maxlength" config="200" />
    </camunda:validation>
  </camunda:formField>
  <camunda:formField id="optional_note" type="string">
    <camunda:validation><camunda:constraint name="required" config="false" /></camunda:validation>
  </camunda:formField>"""


def compiled(fields: str = EVERY_KIND, key: str = "inspection_form"):
    return compile_bpmn(PROCESS.format(key=key, fields=fields))


def the_form(fields: str = EVERY_KIND) -> TaskFormSpec:
    return ProcessRunner(compiled(fields).spec_json).task_form("inspect")


def test_every_type_and_constraint_is_read_into_plain_specs():
    form = the_form()
    assert form.key == "inspection_form"
    by_id = {f.id: f for f in form.fields}
    assert list(by_id) == ["visit_date", "hazard_level", "needs_followup", "road", "remarks",
                           "optional_note"]
    # Camunda Modeler's <camunda:constraint name="required" /> has no config: it still counts
    assert by_id["visit_date"] == FormFieldSpec(id="visit_date", type="date", label="Ngày khảo sát",
                                                label_en="Visit date", required=True,
                                                default="2026-03-02")
    assert by_id["hazard_level"] == FormFieldSpec(id="hazard_level", type="long", label="Mức độ",
                                                  required=True, default=2, min=1, max=5)
    assert by_id["needs_followup"].default is True and by_id["needs_followup"].required is False
    assert by_id["road"].options == (("open", "Thông xe"), ("closed", "Cấm đường"))
    assert by_id["road"].default == "open"
    assert (by_id["remarks"].minlength, by_id["remarks"].maxlength) == (5, 200)
    assert by_id["remarks"].label_en is None
    assert by_id["optional_note"].required is False
    assert by_id["optional_note"].label == "optional_note"  # no label: the id


def test_a_task_without_that_id_has_no_form():
    assert ProcessRunner(compiled().spec_json).task_form("nope") is None


def test_a_sound_form_has_no_problems():
    assert form_problems(compiled()) == []
    assert all(not task.problems for task in process_forms(compiled().spec_json))


@pytest.mark.parametrize("fields, expected", [
    ('<camunda:formField id="x" type="custom" />', "has type 'custom'"),
    ('<camunda:formField id="x" type="string"><camunda:validation>'
     '<camunda:constraint name="readonly" /></camunda:validation></camunda:formField>',
     "has constraint 'readonly'"),
    ('<camunda:formField id="x" type="long"><camunda:validation>'
     '<camunda:constraint name="maxlength" config="3" /></camunda:validation></camunda:formField>',
     "(long) cannot have the constraint 'maxlength'"),
    ('<camunda:formField id="x" type="string"><camunda:validation>'
     '<camunda:constraint name="maxlength" config="many" /></camunda:validation></camunda:formField>',
     "constraint 'maxlength' needs a whole number"),
    ('<camunda:formField id="x" type="long"><camunda:validation>'
     '<camunda:constraint name="min" config="9" /><camunda:constraint name="max" config="1" />'
     '</camunda:validation></camunda:formField>', "'min' (9) is larger than 'max' (1)"),
    ('<camunda:formField id="x" type="enum" />', "is an enum without options"),
    ('<camunda:formField id="x" type="date" defaultValue="02/03/2026" />',
     "default value '02/03/2026' is not a valid date"),
    ('<camunda:formField id="x" type="long" defaultValue="two" />', "is not a valid long"),
    ('<camunda:formField id="2x" type="string" />', "field id '2x' must be a name"),
    ('<camunda:formField id="x" type="string" /><camunda:formField id="x" type="long" />',
     "field 'x' is declared twice"),
    ('<camunda:formField id="sla_due" type="string" />', "field id 'sla_due' is reserved"),
])
def test_deploy_check_names_the_task_and_the_problem(fields, expected):
    problems = form_problems(compiled(fields))
    assert problems and all(p.startswith("user task 'inspect' (Kiểm tra): ") for p in problems)
    assert any(expected in p for p in problems), problems


def test_a_form_key_without_fields_is_refused_unless_built_in():
    problems = form_problems(compiled(fields="", key="mystery"))
    assert problems == ["user task 'inspect' (Kiểm tra): form key 'mystery' is neither a built-in "
                        "form (dispatch, handle, publish) nor backed by camunda:formData fields"]
    assert form_problems(compiled(fields="", key="publish")) == []


def test_the_compiler_still_refuses_a_user_task_without_a_form_key():
    xml = PROCESS.format(key="x", fields="").replace(' camunda:formKey="x"', "")
    with pytest.raises(Exception, match="no camunda:formKey"):
        compile_bpmn(xml)


# -- checking submitted values ------------------------------------------------------------------

VALID = {"visit_date": "2026-03-05", "hazard_level": "4", "needs_followup": "false",
         "road": "closed", "remarks": "  Cây đổ chắn đường  ", "optional_note": ""}


def errors_for(data: dict) -> dict:
    with pytest.raises(ValidationFailed) as caught:
        clean_fields(the_form(), data)
    return caught.value.fields


def test_valid_values_come_back_typed_and_json_safe():
    assert clean_fields(the_form(), VALID) == {
        "visit_date": "2026-03-05", "hazard_level": 4, "needs_followup": False, "road": "closed",
        "remarks": "Cây đổ chắn đường", "optional_note": None}


def test_left_out_fields_take_their_defaults():
    assert clean_fields(the_form(), {}) == {
        "visit_date": "2026-03-02", "hazard_level": 2, "needs_followup": True, "road": "open",
        "remarks": None, "optional_note": None}


@pytest.mark.parametrize("field, value, message", [
    ("visit_date", None, "required"),
    ("visit_date", "   ", "required"),
    ("visit_date", "05/03/2026", "must be a date (YYYY-MM-DD)"),
    ("visit_date", "2026-02-30", "must be a date (YYYY-MM-DD)"),
    ("hazard_level", "", "required"),
    ("hazard_level", "3.5", "whole number"),
    ("hazard_level", True, "whole number"),
    ("hazard_level", 0, "must be between 1 and 5"),
    ("hazard_level", 6, "must be between 1 and 5"),
    ("needs_followup", "maybe", "must be true or false"),
    ("road", "flooded", "must be one of: open, closed"),
    ("remarks", "abc", "at least 5 characters"),
    ("remarks", "x" * 201, "at most 200 characters"),
    ("remarks", 12345, "must be text"),
])
def test_each_rule_is_reported_on_its_field(field, value, message):
    assert errors_for({**VALID, field: value}) == {field: [message]}


def test_every_problem_is_reported_at_once():
    fields = errors_for({**VALID, "visit_date": "", "hazard_level": 9, "road": "x"})
    assert set(fields) == {"visit_date", "hazard_level", "road"}


def test_values_read_back_with_labels_and_option_names():
    form = the_form()
    shown = readable_values(form, {"visit_date": "2026-03-05", "hazard_level": 4,
                                   "road": "closed", "remarks": None, "extra": "kept"})
    assert [(s["id"], s["label"], s["text"]) for s in shown] == [
        ("visit_date", "Ngày khảo sát", "05/03/2026"), ("hazard_level", "Mức độ", "4"),
        ("road", "Giao thông", "Cấm đường"), ("extra", "extra", "kept")]


def test_a_generated_field_may_not_hide_a_script_function():
    """The reserved field ids follow the functions scripts are really given."""
    from caseapp.engine import RESERVED_FUNCTION_NAMES
    from caseapp.services.administration.script_functions import script_functions
    from caseapp.services.cases.task_forms import RESERVED_FIELD_IDS
    given = set(script_functions(sla_due=lambda phase: "")) | set(RESERVED_FUNCTION_NAMES)
    assert given <= RESERVED_FIELD_IDS
