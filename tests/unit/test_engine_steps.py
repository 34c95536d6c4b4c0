"""The faster engine-step round runs the same tasks in the same order as SpiffWorkflow's own."""
from __future__ import annotations

import pytest
from lxml import etree
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.util.task import TaskState

from caseapp.engine import engine_steps

NS = ('xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
      'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" '
      'targetNamespace="http://bpmn.io/schema/bpmn"')


def _script(task_id: str) -> str:
    return (f'<bpmn:scriptTask id="{task_id}" scriptFormat="python">'
            f'<bpmn:script>order = (order if "order" in dir() else []) + ["{task_id}"]'
            f'</bpmn:script></bpmn:scriptTask>')


def _flow(source: str, target: str) -> str:
    return f'<bpmn:sequenceFlow id="f_{source}_{target}" sourceRef="{source}" targetRef="{target}"/>'


# start -> split -> (a1 -> a2) | (b1) | (c1 -> c2 -> c3) -> join -> review (user task) -> end
PARALLEL = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions {NS}>
  <bpmn:process id="parallel" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:parallelGateway id="split"/>
    {_script("a1")}{_script("a2")}{_script("b1")}{_script("c1")}{_script("c2")}{_script("c3")}
    <bpmn:parallelGateway id="join"/>
    <bpmn:userTask id="review" camunda:formKey="review"/>
    <bpmn:endEvent id="end"/>
    {_flow("start", "split")}
    {_flow("split", "a1")}{_flow("a1", "a2")}{_flow("a2", "join")}
    {_flow("split", "b1")}{_flow("b1", "join")}
    {_flow("split", "c1")}{_flow("c1", "c2")}{_flow("c2", "c3")}{_flow("c3", "join")}
    {_flow("join", "review")}{_flow("review", "end")}
  </bpmn:process>
</bpmn:definitions>"""

# the same shape with the b branch inside an embedded subprocess
WITH_SUBPROCESS = PARALLEL.replace(
    _script("b1"),
    '<bpmn:subProcess id="b1"><bpmn:startEvent id="b_start"/>' + _script("b_inner")
    + '<bpmn:endEvent id="b_end"/>' + _flow("b_start", "b_inner") + _flow("b_inner", "b_end")
    + '</bpmn:subProcess>')


def _workflow(xml: str, fast: bool):
    parser = CamundaParser()
    parser.add_bpmn_xml(etree.fromstring(xml.encode("utf-8")), filename="test.bpmn")
    workflow = BpmnWorkflow(parser.get_spec("parallel"), parser.get_subprocess_specs("parallel"),
                            script_engine=PythonScriptEngine(environment=TaskDataEnvironment()))
    return engine_steps.install(workflow) if fast else workflow


def _run(workflow) -> list[str]:
    ran = []
    workflow.do_engine_steps(will_complete_task=lambda task: ran.append(task.task_spec.name))
    return ran


@pytest.mark.parametrize("xml", [PARALLEL, WITH_SUBPROCESS], ids=["flat", "subprocess"])
def test_the_fast_round_runs_what_spiffworkflow_runs_in_the_same_order(xml):
    plain, fast = _workflow(xml, fast=False), _workflow(xml, fast=True)
    ran_plain, ran_fast = _run(plain), _run(fast)
    assert ran_fast == ran_plain
    assert {"a1", "a2", "c1", "c2", "c3"} <= set(ran_fast)

    def ready(workflow):
        return [t.task_spec.name for t in workflow.get_tasks(state=TaskState.READY)]

    assert ready(fast) == ready(plain) == ["review"]
    assert fast.last_task.data.get("order") == plain.last_task.data.get("order")


def test_ready_tasks_come_in_the_order_of_the_task_tree():
    workflow = _workflow(PARALLEL, fast=False)
    ready = workflow.get_tasks(state=TaskState.READY)
    while len(ready) == 1:  # run one task at a time up to the split: then three are ready
        ready[0].run()
        ready = workflow.get_tasks(state=TaskState.READY)
    expected = [t.task_spec.name for t in ready]
    assert sorted(expected) == ["a1", "b1", "c1"]
    assert [t.task_spec.name for t in engine_steps.ready_in_tree_order(workflow)] == expected
