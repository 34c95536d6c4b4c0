"""SpiffWorkflow on its own, as the lifecycle benchmark's baseline.

No sandbox, no snapshot, no database: the BPMN parsed once, then at every step the instance is
reloaded from SpiffWorkflow's own JSON serialisation, its ready user task completed, the engine
steps run and the instance serialised again (what an application using the engine directly does).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.util.task import TaskState
from lxml import etree


class BareProcess:
    """One BPMN process run by SpiffWorkflow with its defaults."""

    def __init__(self, xml: str, process_id: str, functions: Mapping[str, Callable]):
        parser = CamundaParser()
        parser.add_bpmn_xml(etree.fromstring(xml.encode("utf-8")), filename="baseline.bpmn")
        self.spec = parser.get_spec(process_id)
        self.subprocess_specs = parser.get_subprocess_specs(process_id)
        self.script_engine = PythonScriptEngine(environment=TaskDataEnvironment(dict(functions)))
        self.serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(CAMUNDA_CONFIG))
        for name in ("spiff.task", "spiff.workflow", "spiff.metrics"):  # per-task INFO lines
            logging.getLogger(name).setLevel(logging.WARNING)

    def start(self, data: dict) -> str:
        """A new instance run to its first user task, serialised."""
        workflow = BpmnWorkflow(self.spec, self.subprocess_specs, script_engine=self.script_engine)
        workflow.get_tasks(state=TaskState.READY)[0].set_data(**data)
        workflow.do_engine_steps()
        return self.serializer.serialize_json(workflow)

    def complete_ready(self, state: str, data: dict) -> tuple[str, bool]:
        """Reload, complete the ready user task with `data`, run on; (new state, completed)."""
        workflow = self.serializer.deserialize_json(state)
        workflow.script_engine = self.script_engine
        task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
        task.set_data(**data)
        task.run()
        workflow.do_engine_steps()
        return self.serializer.serialize_json(workflow), workflow.is_completed()
