"""engine.migration: which instances can move to another version, and what a move keeps.

v2 of the bundled diagram renames 'handle' and gives the agency's return window a new phase:
a case at handle moves (its task ids stay, the handle deadline keeps its due moment, the
changed return window counts again from the move); a case that completed handle is blocked.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from freezegun import freeze_time
from lxml import etree

from caseapp.engine import EngineError, ProcessRunner, compile_bpmn
from caseapp.engine.migration import describe, move, plan_move

BUNDLED = (Path(__file__).resolve().parents[2] / "bpmn" / "field_report.bpmn").read_text("utf-8")
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}
T0 = datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc)
HOURS = {"dispatch": 8, "handle": 48, "return": 24, "return_v2": 72, "publish": 8}


def sla_due(phase, start=None):
    """Due a fixed number of hours after now (the frozen clock)."""
    return (datetime.now(timezone.utc) + timedelta(hours=HOURS[phase])).isoformat()


FUNCTIONS = {"sla_due": sla_due, "rejection_reply": lambda reason, duplicate_of=None: "x"}


def v2_xml() -> str:
    root = etree.fromstring(BUNDLED.encode("utf-8"))
    root.find('.//bpmn:userTask[@id="handle"]', NS).set("name", "Xử lý (mới)")
    timer = root.find('.//bpmn:boundaryEvent[@id="return_deadline"]//bpmn:timeDate', NS)
    timer.text = "sla_due('return_v2')"
    return etree.tostring(root, encoding="unicode")


@pytest.fixture(scope="module")
def specs():
    return compile_bpmn(BUNDLED).spec_json, compile_bpmn(v2_xml()).spec_json


def at_handle(v1):
    runner = ProcessRunner(v1, FUNCTIONS)
    first = runner.start({"tracking_code": "CM-TEST-0001", "category": "disaster",
                          "reported_urgent": False})
    return runner, runner.complete(first.state_json, first.ready_tasks[0].task_id,
                                   {"action": "dispatch", "agency": "police", "urgent": False})


def test_a_case_at_handle_moves_and_keeps_its_unchanged_deadline(specs):
    v1, v2 = specs
    with freeze_time(T0) as clock:
        _, before = at_handle(v1)
        assert plan_move(before.state_json, v1, v2).can_move
        clock.tick(timedelta(hours=3))
        after = move(before.state_json, v1, v2, FUNCTIONS)
    old = {t.bpmn_id: t for t in before.pending_timers}
    new = {t.bpmn_id: t for t in after.pending_timers}
    assert [t.task_id for t in after.ready_tasks] == [t.task_id for t in before.ready_tasks]
    assert after.ready_tasks[0].name == "Xử lý (mới)"
    assert new["handle_deadline"].task_id == old["handle_deadline"].task_id
    assert new["handle_deadline"].due_at == old["handle_deadline"].due_at == T0 + timedelta(hours=48)
    # the return window's phase changed: a new timer, counted from the move
    assert new["return_deadline"].phase == "return_v2"
    assert new["return_deadline"].due_at == T0 + timedelta(hours=3 + 72)
    assert after.fired_timers == ()


def test_a_case_that_completed_a_changed_task_is_blocked_with_the_reason(specs):
    v1, v2 = specs
    with freeze_time(T0):
        runner, at = at_handle(v1)
        done = runner.complete(at.state_json, at.ready_tasks[0].task_id,
                               {"action": "resolve", "result": "ok"})
        plan = plan_move(done.state_json, v1, v2)
        assert not plan.can_move
        [block] = plan.reasons
        assert (block.bpmn_id, block.name, block.state, block.change) == (
            "handle", "Xử lý phản ánh", "completed", "changed")
        assert "bpmn_name" in block.attributes
        assert describe(block) == ("'Xử lý phản ánh' (handle) is completed and the new version "
                                   "changed it")
        with pytest.raises(EngineError, match="cannot move"):
            move(done.state_json, v1, v2, FUNCTIONS)


def without_publish() -> str:
    """The bundled diagram without the reply task: a handled report closes at once."""
    root = etree.fromstring(BUNDLED.encode("utf-8"))
    gone = {"publish", "publish_deadline", "publish_overdue", "flow_published",
            "flow_publish_overdue"}
    for element in list(root.iter()):
        if element.get("id") in gone or element.get("bpmnElement") in gone:
            element.getparent().remove(element)
        elif element.text in gone:  # <incoming>/<outgoing> references
            element.text = "flow_resolve"
    root.find('.//bpmn:sequenceFlow[@id="flow_resolve"]', NS).set("targetRef", "closed")
    return etree.tostring(root, encoding="unicode")


def test_a_case_waiting_at_a_removed_task_is_blocked(specs):
    v1, _ = specs
    v3 = compile_bpmn(without_publish()).spec_json
    with freeze_time(T0):
        runner, at = at_handle(v1)
        # the decision after handle changed, but the case has not reached it yet
        assert plan_move(at.state_json, v1, v3).can_move
        done = runner.complete(at.state_json, at.ready_tasks[0].task_id,
                               {"action": "resolve", "result": "ok"})
        plan = plan_move(done.state_json, v1, v3)
    assert not plan.can_move
    removed = [block for block in plan.reasons if block.change == "removed"]
    assert ("publish", "ready") in [(block.bpmn_id, block.state) for block in removed]
    assert ("publish", "completed") not in [(block.bpmn_id, block.state) for block in removed]
