"""Spec and instance (de)serialisation; instances are stored without their spec.

A deployed process version stores its spec once (``spec_json``).  Instance state is SpiffWorkflow's
own serialisation minus the ``spec`` and ``subprocess_specs`` keys; on load the workflow is rebuilt
around the already-restored, cached spec objects, so a load costs only the task tree.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG

from .analysis import SpecFacts, facts
from .errors import EngineError

SPEC_FORMAT = "casebridge-spec/1"
_SPEC_CACHE_MAX = 64


class _SpeclessWorkflowConverter(BpmnWorkflowConverter):
    """Leaves the spec out of the instance dict; expects it back as keyword arguments on load."""

    def to_dict(self, workflow):
        dct = super(BpmnWorkflowConverter, self).to_dict(workflow)  # tasks, data, ... (no spec)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct, spec=None, subprocess_specs=None):
        if spec is None:
            raise EngineError("workflow state cannot be loaded without its process spec")
        dct = dict(dct)
        dct.pop("spec", None)  # tolerate full Spiff serialisations; the cached spec wins
        dct.pop("subprocess_specs", None)
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dict(dct["subprocesses"]), workflow)
        workflow.bpmn_events = self.registry.restore(dct.get("bpmn_events", []))
        return workflow


def _make_serializer() -> BpmnWorkflowSerializer:
    config = dict(CAMUNDA_CONFIG)
    config[BpmnWorkflow] = _SpeclessWorkflowConverter
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))


_local = threading.local()


def _serializer() -> BpmnWorkflowSerializer:
    """One serializer per thread: Spiff's registry flips a shared flag while encoding."""
    serializer = getattr(_local, "serializer", None)
    if serializer is None:
        serializer = _local.serializer = _make_serializer()
    return serializer


@dataclass(frozen=True)
class LoadedSpec:
    """The restored spec objects of one process version, shared by all its instances."""

    process_id: str
    spec: object
    subprocess_specs: dict
    facts: SpecFacts


def spec_to_json(process_id: str, spec, subprocess_specs: dict) -> str:
    """Serialise a parsed spec once per deployed version."""
    serializer = _serializer()
    registry = serializer.registry
    return json.dumps({
        "format": SPEC_FORMAT,
        "serializer_version": serializer.VERSION,
        "process_id": process_id,
        "spec": registry.convert(spec),
        "subprocess_specs": {name: registry.convert(sp) for name, sp in subprocess_specs.items()},
    }, separators=(",", ":"), sort_keys=True)


_spec_cache: OrderedDict[str, LoadedSpec] = OrderedDict()
_spec_cache_lock = threading.Lock()


def load_spec(spec_json: str) -> LoadedSpec:
    """Restore a spec through an in-process cache keyed by the spec string's SHA-256."""
    key = hashlib.sha256(spec_json.encode("utf-8")).hexdigest()
    with _spec_cache_lock:
        loaded = _spec_cache.get(key)
        if loaded is not None:
            _spec_cache.move_to_end(key)
            return loaded
    try:
        dct = json.loads(spec_json)
        if not isinstance(dct, dict) or dct.get("format") != SPEC_FORMAT:
            raise ValueError(f"not a {SPEC_FORMAT} document")
        registry = _serializer().registry
        spec = registry.restore(dct["spec"])
        subprocess_specs = {k: registry.restore(v) for k, v in dct["subprocess_specs"].items()}
        loaded = LoadedSpec(process_id=dct["process_id"], spec=spec, subprocess_specs=subprocess_specs,
                            facts=facts(spec, subprocess_specs))
    except EngineError:
        raise
    except Exception as exc:
        raise EngineError(f"the stored process spec cannot be loaded: {exc}") from exc
    with _spec_cache_lock:
        _spec_cache[key] = loaded
        while len(_spec_cache) > _SPEC_CACHE_MAX:
            _spec_cache.popitem(last=False)
    return loaded


def new_workflow(loaded: LoadedSpec, script_engine) -> BpmnWorkflow:
    """A fresh instance of the spec, with the sandboxed script engine attached."""
    return BpmnWorkflow(loaded.spec, loaded.subprocess_specs, script_engine=script_engine)


def workflow_from_json(state_json: str, loaded: LoadedSpec, script_engine) -> BpmnWorkflow:
    """Rebuild an instance from its spec-less state and attach the script engine."""
    try:
        serializer = _serializer()
        dct = json.loads(state_json)
        serializer.migrate(dct)
        workflow = serializer.registry.restore(
            dct, spec=loaded.spec, subprocess_specs=loaded.subprocess_specs)
    except EngineError:
        raise
    except Exception as exc:
        raise EngineError(f"the workflow state cannot be loaded: {type(exc).__name__}: {exc}") from exc
    if not isinstance(workflow, BpmnWorkflow):
        raise EngineError("the workflow state is not a serialised workflow")
    workflow.script_engine = script_engine
    return workflow


def workflow_to_json(workflow: BpmnWorkflow) -> str:
    """Serialise an instance without its spec."""
    try:
        return _serializer().serialize_json(workflow)
    except Exception as exc:
        raise EngineError(f"the workflow state cannot be serialised: {type(exc).__name__}: {exc}") from exc
