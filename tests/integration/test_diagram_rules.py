"""One set of diagram rules (process_design.rules.check_diagram), used by deploy, the CLI and the
modeler: each rule fires on a minimal broken variant of the bundled diagram, on the element it is
about, and none fires on the bundled diagram itself; deploy refuses errors and accepts warnings
only when told to."""
from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest

from caseapp.extensions import db
from caseapp.models import ProcessVersion
from caseapp.services.administration.processes import deploy_bpmn
from caseapp.services.errors import ValidationFailed
from caseapp.services.process_design.problems import (RULE_ADVICE, RULE_TITLES, DiagramRejected,
                                                        Problem)
from caseapp.services.process_design.rules import check_diagram
from tests.diagram_edits import (B, BUNDLED, Cq, add_flow, by_id, insert_after, remove, root_of,
                                 script_task, set_condition, set_timer, text, user_task)

AT = datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc)  # a Wednesday morning in Cà Mau


def check(xml: str) -> list[Problem]:
    return check_diagram(xml, at=AT)


def found(problems, rule: str) -> list[Problem]:
    return [p for p in problems if p.rule == rule]


# -- variants: each returns the broken XML ------------------------------------------------------

def unparsable():
    return BUNDLED[:BUNDLED.index("<bpmn:endEvent id=\"closed\"")] + "<bpmn:endEvent id=\"x\">"


def without_queue():
    root = root_of()
    by_id(root, "handle").set(Cq("candidateGroups"), "nobody")
    return text(root)


def review_step(fields: str = ""):
    root = root_of()
    insert_after(root, "flow_published", user_task("review", "review", fields))
    return text(root)


def form_key_without_form():
    return review_step()


def unsupported_field():
    return review_step('<camunda:formField id="score" label="Điểm" type="double" />')


def timer_not_a_moment():
    root = root_of()
    set_timer(root, "publish_deadline", "'next week'")
    return text(root)


def phase_without_policy():
    root = root_of()
    set_timer(root, "publish_deadline", "sla_due('site_visit')")
    return text(root)


def refused_script():
    root = root_of()
    by_id(root, "notify_urgent").find(B("script")).text = "open('/etc/passwd').read()"
    return text(root)


def gateway_may_all_be_false():
    root = root_of()
    set_condition(root, "flow_resolve", "action == 'resolved'")  # a typo: 'resolve' is never met
    return text(root)


def missing_built_in_step():
    root = root_of()
    publish = by_id(root, "publish")
    publish.set(Cq("formKey"), "reply")  # still backed by its formData: only the built-in is gone
    return text(root)


def unreachable_task():
    root = root_of()
    orphan = root.makeelement(B("task"), id="orphan", name="Bị bỏ quên")
    root.find(B("process")).append(orphan)
    add_flow(root, "flow_orphan", "orphan", "closed")
    return text(root)


def dead_end():
    root = root_of()
    remove(root, "flow_to_rejected")  # the rejection script leads nowhere
    return text(root)


def failing_first_step():
    root = root_of()
    insert_after(root, "flow_submitted", script_task("triage", "weight = 1 / 0"))
    return text(root)


VARIANTS = [
    (unparsable, "parse", None, "error"),
    (without_queue, "queue", "handle", "error"),
    (form_key_without_form, "form_key", "review", "error"),
    (unsupported_field, "form_field", "review", "error"),
    (timer_not_a_moment, "timer", "publish_deadline", "error"),
    (phase_without_policy, "sla_policy", "publish_deadline", "error"),
    (refused_script, "script", "notify_urgent", "error"),
    (gateway_may_all_be_false, "gateway_default", "handle_decision", "warning"),
    (missing_built_in_step, "built_in_step", None, "error"),
    (unreachable_task, "unreachable", "orphan", "warning"),
    (dead_end, "dead_end", "compose_rejection", "error"),
    (failing_first_step, "dry_run", "triage", "error"),
]


def test_the_bundled_diagram_has_no_problem(app):
    assert check(BUNDLED) == []


def test_each_rule_fires_on_its_broken_variant(app):
    for variant, rule, element_id, severity in VARIANTS:
        problems = check(variant())
        hits = found(problems, rule)
        assert hits, (variant.__name__, problems)
        assert hits[0].severity == severity, (variant.__name__, hits)
        if element_id is not None:
            assert element_id in {p.element_id for p in hits}, (variant.__name__, hits)
        assert rule in RULE_TITLES and rule in RULE_ADVICE
        shown = hits[0].as_dict()
        assert set(shown) == {"severity", "rule", "element_id", "element_name", "message", "title",
                              "advice"}
        assert shown["advice"] == RULE_ADVICE[rule]


def test_problems_say_where_and_how_to_fix(app):
    (parse,) = check(unparsable())
    assert "line" in parse.message
    (phase,) = found(check(phase_without_policy()), "sla_policy")
    assert phase.element_name == "Hạn trả lời"
    assert "flask --app wsgi sla set site_visit" in phase.message
    (gateway,) = found(check(gateway_may_all_be_false()), "gateway_default")
    assert "default flow" in gateway.message and gateway.element_name == "Đã xử lý hay trả lại?"
    dead = check(dead_end())
    assert {p.element_id for p in found(dead, "unreachable")} == {"rejected"}
    assert found(dead, "dead_end")[0].message.startswith("scriptTask 'compose_rejection'")
    # a timer whose duration is a moment: the kind of timer decides what it must give
    root = root_of()
    set_timer(root, "handle_deadline", "sla_due('handle')", kind="timeDuration")
    (timer,) = found(check(text(root)), "timer")
    assert timer.element_id == "handle_deadline" and "ISO-8601 duration" in timer.message
    # a refused condition is marked on its sequence flow; every refused script is listed
    root = root_of(refused_script())
    set_condition(root, "flow_reject", "action == 'reject' and __import__('os')")
    scripts = found(check(text(root)), "script")
    assert {p.element_id for p in scripts} == {"notify_urgent", "flow_reject"}
    # the dry run only runs when nothing else is an error
    assert not found(check(failing_first_step().replace("sla_due('publish')",
                                                        "sla_due('nowhere')")), "dry_run")


def test_a_gateway_on_a_required_choice_or_a_complement_is_complete(app):
    choice = ('<camunda:formField id="verdict" label="Kết luận" type="enum">'
              '<camunda:validation><camunda:constraint name="required" /></camunda:validation>'
              '<camunda:value id="ok" name="Đạt" /><camunda:value id="redo" name="Làm lại" />'
              '</camunda:formField>')
    root = root_of(review_step(choice))
    gateway = root.makeelement(B("exclusiveGateway"), id="verdict_decision")
    root.find(B("process")).append(gateway)
    by_id(root, "flow_published_after").set("targetRef", "verdict_decision")
    add_flow(root, "flow_ok", "verdict_decision", "closed", "verdict == 'ok'")
    add_flow(root, "flow_redo", "verdict_decision", "review", "verdict in ('redo',)")
    complete = text(root)
    assert not found(check(complete), "gateway_default")
    # not required: left empty, no flow is taken
    optional = complete.replace('<camunda:constraint name="required"/>', "")
    assert optional != complete
    assert [p.element_id for p in found(check(optional), "gateway_default")] == ["verdict_decision"]
    # a boolean and its negation cover every case; a lone condition does not
    root = root_of()
    urgent = by_id(root, "urgent_decision")
    del urgent.attrib["default"]
    set_condition(root, "flow_not_urgent", "not bool(urgent)")
    assert not found(check(text(root)), "gateway_default")
    set_condition(root, "flow_not_urgent", "category == 'other'")
    assert [p.element_id for p in found(check(text(root)), "gateway_default")] == ["urgent_decision"]


def test_deploy_refuses_errors_with_every_problem(seeded):
    before = db.session.scalar(db.select(db.func.count()).select_from(ProcessVersion))
    xml = without_queue().replace("sla_due('publish')", "sla_due('site_visit')")
    with pytest.raises(DiagramRejected) as refused:
        deploy_bpmn(xml, accept_warnings=True)
    assert isinstance(refused.value, ValidationFailed)
    assert {p.rule for p in refused.value.problems} == {"queue", "sla_policy"}
    assert len(refused.value.fields["bpmn"]) == 2
    assert "handle" in refused.value.message and "site_visit" in refused.value.message
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count()).select_from(ProcessVersion)) == before


def test_deploy_accepts_warnings_only_when_told(seeded):
    xml = unreachable_task()
    with pytest.raises(DiagramRejected) as refused:
        deploy_bpmn(xml)
    assert [p.rule for p in refused.value.problems] == ["unreachable"]
    assert refused.value.fields["bpmn"][0].startswith("warning: ")
    db.session.rollback()
    version, created = deploy_bpmn(xml, accept_warnings=True)
    assert created and version.version == 2 and version.active
    again, created = deploy_bpmn(xml, accept_warnings=True)
    assert (again.id, created) == (version.id, False)  # unchanged: already deployed


def test_cli_deploy_prints_problems_by_element_and_accepts_warnings(seeded, tmp_path):
    runner = seeded.test_cli_runner()
    broken = tmp_path / "broken.bpmn"
    broken.write_text(without_queue(), encoding="utf-8")
    result = runner.invoke(args=["deploy", str(broken)])
    assert result.exit_code == 2
    assert "[error] queue handle (Xử lý phản ánh): user task 'handle'" in result.output
    warned = tmp_path / "warned.bpmn"
    warned.write_text(unreachable_task(), encoding="utf-8")
    result = runner.invoke(args=["deploy", str(warned)])
    assert result.exit_code == 2 and "[warning] unreachable orphan (Bị bỏ quên)" in result.output
    assert "--accept-warnings" in result.output
    result = runner.invoke(args=["deploy", str(warned), "--accept-warnings"])
    assert result.exit_code == 0 and "field_report v2 deployed" in result.output, result.output


def test_the_check_is_fast_enough_to_run_while_drawing(app):
    check(BUNDLED)  # warm: the schema validator, the built-in steps' choices
    timings = []
    for n in range(3):
        xml = BUNDLED.replace('name="Khẩn cấp?"', f'name="Khẩn cấp {n}?"')  # a new draft each time
        start = time.perf_counter()
        assert check(xml) == []
        timings.append(time.perf_counter() - start)
    assert min(timings) < 0.3, timings
