"""Moving a running instance to another version of its process (SpiffWorkflow's diff and migrate).

`plan_move` says whether an instance can move: a task whose spec the new version changed or
removed blocks it once that task is completed or started (what it did can no longer be
replayed), and so does a removed task the instance is waiting at. `move` migrates the state:
ready and waiting tasks are reset onto the new specs, keeping their task ids; a timer that was
pending before keeps its due moment (Spiff would compute it again from now), a new timer starts
from the move. Both take the stored strings; nothing of SpiffWorkflow leaves this module.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from SpiffWorkflow.bpmn.util.diff import SpecDiff, WorkflowDiff, migrate_workflow
from SpiffWorkflow.util.task import TaskState

from . import sandbox
from . import snapshot as view
from .errors import EngineError
from .runner import ProcessRunner, _settle
from .script_engine import SandboxScriptEngine
from .serialization import _serializer, load_spec, workflow_from_json
from .types import Snapshot

# what a task that did (or is doing) its work is in; a changed spec cannot take it over
_DONE = TaskState.COMPLETED | TaskState.STARTED | TaskState.ERROR
# a removed task in these states leaves the instance nowhere to be in the new version
_LIVE = _DONE | TaskState.READY | TaskState.WAITING


@dataclass(frozen=True)
class MoveBlock:
    """One reason an instance cannot move: a task, what it is in, what the new version did."""

    bpmn_id: str
    name: str
    state: str    # 'completed', 'started', 'error', 'ready', 'waiting'
    change: str   # 'changed' or 'removed'
    attributes: tuple[str, ...] = ()  # the spec attributes that differ (changed only)


@dataclass(frozen=True)
class MovePlan:
    """Whether an instance can move, and every task that stops it."""

    can_move: bool
    reasons: tuple[MoveBlock, ...] = ()


def _element(task_spec) -> tuple[str, str]:
    """The diagram element of a spec; Spiff's helper specs ('dispatch.BoundaryEventSplit')
    are named after the element they belong to."""
    bpmn_id = getattr(task_spec, "bpmn_id", None) or task_spec.name.split(".")[0]
    name = getattr(task_spec, "bpmn_name", None) or bpmn_id
    return bpmn_id, name


def _blocks(workflow_diff, spec_changes: dict) -> list[tuple[MoveBlock, bool]]:
    """(block, whether it comes from one of Spiff's helper specs) for every blocking task."""
    blocks = []
    for task in workflow_diff.changed:
        if task.has_state(_DONE):
            bpmn_id, name = _element(task.task_spec)
            blocks.append((MoveBlock(bpmn_id, name, TaskState.get_name(task.state).lower(), "changed",
                                     tuple(spec_changes.get(task.task_spec, ()))),
                           _is_helper(task.task_spec)))
    for task in workflow_diff.removed:
        if task.has_state(_LIVE):
            bpmn_id, name = _element(task.task_spec)
            blocks.append((MoveBlock(bpmn_id, name, TaskState.get_name(task.state).lower(), "removed"),
                           _is_helper(task.task_spec)))
    return blocks


def _is_helper(task_spec) -> bool:
    return not getattr(task_spec, "bpmn_id", None)


def _diff(workflow, to_loaded):
    """diff_workflow's work, keeping each SpecDiff to say which attributes changed."""
    registry = _serializer().registry
    spec_diff = SpecDiff(registry, workflow.spec, to_loaded.spec)
    top = (WorkflowDiff(workflow, spec_diff), spec_diff.changed)
    subprocesses = {}
    for sp_id, sp in workflow.subprocesses.items():
        new_spec = to_loaded.subprocess_specs.get(sp.spec.name)
        if new_spec is None:
            subprocesses[sp_id] = None
        else:
            sp_spec_diff = SpecDiff(registry, sp.spec, new_spec)
            subprocesses[sp_id] = (WorkflowDiff(sp, sp_spec_diff), sp_spec_diff.changed)
    return top, subprocesses


def _plan(workflow, to_loaded) -> tuple[MovePlan, object, dict]:
    top, subprocesses = _diff(workflow, to_loaded)
    blocks = _blocks(*top)
    for sp_id, sp_diff in subprocesses.items():
        if sp_diff is None:  # the subprocess the instance is in no longer exists
            sp = workflow.subprocesses[sp_id]
            blocks.append((MoveBlock(sp.spec.name, sp.spec.name, "started", "removed"), False))
        else:
            blocks.extend(_blocks(*sp_diff))
    unique = _merged(blocks)
    return MovePlan(can_move=not unique, reasons=unique), top[0], \
        {sp_id: d[0] for sp_id, d in subprocesses.items() if d is not None}


def _merged(blocks) -> tuple[MoveBlock, ...]:
    """One reason per element: a helper spec ('handle.BoundaryEventSplit') speaks for its
    element only when the element itself is not already listed; changed attributes joined."""
    elements = {(block.bpmn_id, block.change) for block, helper in blocks if not helper}
    merged: dict[tuple, MoveBlock] = {}
    for block, helper in blocks:
        if helper and (block.bpmn_id, block.change) in elements:
            continue
        key = (block.bpmn_id, block.state, block.change)
        seen = merged.get(key)
        attributes = tuple(dict.fromkeys((seen.attributes if seen else ()) + block.attributes))
        name = seen.name if seen and seen.name != seen.bpmn_id else block.name
        merged[key] = MoveBlock(block.bpmn_id, name, block.state, block.change, attributes)
    return tuple(merged.values())


def plan_move(state_json: str, from_spec_json: str, to_spec_json: str) -> MovePlan:
    """Whether an instance saved on one version can move to another, and what stops it."""
    if from_spec_json == to_spec_json:
        return MovePlan(can_move=True)
    from_loaded, to_loaded = load_spec(from_spec_json), load_spec(to_spec_json)
    try:
        workflow = workflow_from_json(state_json, from_loaded, SandboxScriptEngine({}, 1.0))
        return _plan(workflow, to_loaded)[0]
    except EngineError:
        raise
    except Exception as exc:
        raise EngineError(f"the move cannot be planned: {type(exc).__name__}: {exc}") from exc


def move(state_json: str, from_spec_json: str, to_spec_json: str,
         functions: Mapping[str, Callable] | None = None, *,
         script_time_limit: float = sandbox.DEFAULT_TIME_LIMIT) -> Snapshot:
    """The instance migrated to the new version, settled, as a Snapshot of the new version.

    Raises EngineError when the plan says it cannot move (the reasons in the message).
    """
    from_loaded = load_spec(from_spec_json)
    target = ProcessRunner(to_spec_json, functions, script_time_limit=script_time_limit)

    def operate(call):
        workflow = call.loaded(workflow_from_json(state_json, from_loaded, call.engine))
        plan, top, subprocesses = _plan(workflow, target.loaded)
        if not plan.can_move:
            raise EngineError("the case cannot move: " + "; ".join(describe(b) for b in plan.reasons))
        due_before = {str(t.id): (t.task_spec.bpmn_id, t.internal_data.get("event_value"))
                      for t in call.tasks_before.waiting
                      if view.timer_fields(t, from_loaded.facts) is not None}
        for sp_id, sp_diff in subprocesses.items():
            sub = workflow.subprocesses[sp_id]
            migrate_workflow(sp_diff, sub, target.loaded.subprocess_specs[sub.spec.name])
        migrate_workflow(top, workflow, target.loaded.spec)
        workflow.subprocess_specs = target.loaded.subprocess_specs
        _check_specs(workflow, target.loaded)
        _keep_due_times(workflow, due_before, from_loaded.facts, target.loaded.facts)
        _settle(workflow, call)
        return workflow

    return target._run(operate)


def _check_specs(workflow, to_loaded) -> None:
    """Every task left in the tree must stand on a spec of the new version."""
    for task in workflow.get_tasks():
        specs = task.workflow.spec.task_specs
        if specs.get(task.task_spec.name) is not task.task_spec:
            bpmn_id, _ = _element(task.task_spec)
            raise EngineError(f"the case cannot move: task '{bpmn_id}' has no place in the new version")


def _keep_due_times(workflow, due_before: dict, from_facts, to_facts) -> None:
    """A timer pending before the move keeps its due moment if it is the same timer (same
    element, same phase); one the new version changed or added counts from the move."""
    for task in view.scan(workflow).waiting:
        before = due_before.get(str(task.id))
        if before is None or before[0] != task.task_spec.bpmn_id:
            continue
        old, new = from_facts.timers.get(before[0]), to_facts.timers.get(task.task_spec.bpmn_id)
        if old is None or new is None or old.phase != new.phase:
            continue
        if before[1] is not None:  # Spiff's own value, as it was (a date, or a cycle's state)
            task.internal_data["event_value"] = before[1]


def describe(block: MoveBlock) -> str:
    """A reason in one English line (logs, CLI); views word it themselves."""
    what = "changed" if block.change == "changed" else "removed"
    return f"'{block.name}' ({block.bpmn_id}) is {block.state} and the new version {what} it"
