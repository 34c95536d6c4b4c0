"""A user task's queue comes from the BPMN: camunda:candidateGroups, else its lane."""
from pathlib import Path

import pytest

from caseapp.engine import compile_bpmn
from caseapp.engine.analysis import QUEUES, derive_queue, queue_problems
from caseapp.engine.serialization import load_spec
from caseapp.engine.types import UserTaskInfo

ROOT = Path(__file__).resolve().parents[2]
FIELD_REPORT = (ROOT / "bpmn" / "field_report.bpmn").read_text(encoding="utf-8")
LEADER_APPROVAL = (ROOT / "tests" / "fixtures" / "queue_leader_approval.bpmn").read_text(encoding="utf-8")

PROCESS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
                  id="defs" targetNamespace="http://casebridge.example/bpmn">
  <bpmn:process id="queues" isExecutable="true">
    {lanes}
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="review" name="Review" camunda:formKey="review" {groups}>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review" />
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""


def lanes(name: str) -> str:
    return (f'<bpmn:laneSet id="ls"><bpmn:lane id="lane_1" name="{name}">'
            '<bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>review</bpmn:flowNodeRef>'
            '<bpmn:flowNodeRef>end</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>')


def review_task(lane: str | None = None, groups: str | None = None) -> UserTaskInfo:
    xml = PROCESS.format(lanes=lanes(lane) if lane else "",
                         groups=f'camunda:candidateGroups="{groups}"' if groups is not None else "")
    (task,) = compile_bpmn(xml).user_tasks
    return task


@pytest.mark.parametrize("groups,lane,queue", [
    ("agency_leader", "Agency", "agency_leader"),   # the group wins over the lane
    ("supervisor", "Portal", "supervisor"),
    (" portal ", None, "portal"),
    (None, "Portal", "portal"),                    # no group: the lane, lower case
    (None, "Agency", "agency"),
    ("", "Agency", "agency"),                       # an empty attribute is no group
    (None, None, None),
])
def test_derive_queue(groups, lane, queue):
    assert derive_queue(groups, lane) == queue


def test_the_bundled_process_keeps_its_lanes_as_queues():
    compiled = compile_bpmn(FIELD_REPORT)
    assert [(t.bpmn_id, t.queue) for t in compiled.user_tasks] == [
        ("dispatch", "portal"), ("handle", "agency"), ("publish", "portal")]
    assert queue_problems(compiled.user_tasks) == []


def test_candidate_groups_are_read_and_survive_the_stored_spec():
    compiled = compile_bpmn(LEADER_APPROVAL)
    queues = {t.bpmn_id: t.queue for t in compiled.user_tasks}
    assert queues == {"dispatch": "portal", "handle": "agency", "leader_approval": "agency_leader",
                      "publish": "portal"}
    assert queue_problems(compiled.user_tasks) == []
    restored = load_spec(compiled.spec_json).facts.user_tasks  # what a running case sees
    assert {t.bpmn_id: t.queue for t in restored} == queues


def test_a_ready_task_carries_its_queue():
    from caseapp.engine import ProcessRunner
    compiled = compile_bpmn(PROCESS.format(lanes=lanes("Agency"),
                                           groups='camunda:candidateGroups="agency_leader"'))
    runner = ProcessRunner(compiled.spec_json)
    (task,) = runner.start({}).ready_tasks
    assert (task.bpmn_id, task.lane, task.queue) == ("review", "Agency", "agency_leader")


@pytest.mark.parametrize("lane,groups", [(lane, None) for lane in ("Portal", "Agency")]
                         + [(None, group) for group in QUEUES])
def test_every_known_queue_deploys(lane, groups):
    assert queue_problems([review_task(lane, groups)]) == []


@pytest.mark.parametrize("lane,groups,expected", [
    (None, None, "has no camunda:candidateGroups and is in no lane"),
    ("Field", None, "is in the lane 'Field', which is no queue"),
    ("Agency", "mayor", "has an unknown camunda:candidateGroups 'mayor'"),
    (None, "${approvers}", "has an unknown camunda:candidateGroups '${approvers}'"),
    ("Portal", "portal,supervisor", "has several camunda:candidateGroups (portal,supervisor)"),
])
def test_a_task_without_a_known_queue_is_a_deploy_problem(lane, groups, expected):
    (problem,) = queue_problems([review_task(lane, groups)])
    assert problem.startswith("user task 'review' (Review) ")  # element id and name
    assert expected in problem
