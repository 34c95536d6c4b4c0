"""Instance operations: start, complete a user task, fire due timers, inspect.

Every operation works on a workflow freshly rebuilt from the caller's state string and returns a
new Snapshot; on any failure it raises an EngineError and the caller keeps its last saved state.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from uuid import UUID

from SpiffWorkflow.exceptions import SpiffWorkflowException, TaskNotFoundException
from SpiffWorkflow.util.task import TaskState

from . import sandbox
from . import snapshot as view
from .errors import EngineError, TaskDataError, TaskNotReady
from .forms import TaskFormSpec, form_of
from .script_engine import SandboxScriptEngine
from .serialization import load_spec, new_workflow, workflow_from_json, workflow_to_json
from .types import FiredTimer, Snapshot

MAX_SETTLE_ROUNDS = 100
RESERVED_FUNCTION_NAMES = frozenset({"notify"})


class _Call:
    """The per-operation context: a fresh sandboxed script engine and the timers that fired."""

    def __init__(self, runner: ProcessRunner):
        self.engine = SandboxScriptEngine(runner.functions, runner.script_time_limit)
        self.fired: list[FiredTimer] = []
        self.facts = runner.loaded.facts
        self.ready_before: frozenset = frozenset()
        self.timers_before: dict = {}

    def loaded(self, workflow):
        """Note what the saved state had, so the caller can diff without reading its own rows."""
        self.tasks_before = tasks = view.scan(workflow)
        self.ready_before = frozenset(task.task_id for task in view.ready_tasks(workflow, tasks))
        self.timers_before = {timer.task_id: timer.due_at
                              for timer in view.pending_timers(workflow, self.facts, tasks)}
        return workflow

    def before_run(self, task) -> None:
        """do_engine_steps callback: record a timer event as fired just before it runs."""
        if getattr(task.task_spec, "event_definition", None) is None:
            return
        fired = view.fired_timer(task, self.facts, datetime.now(timezone.utc))
        if fired is not None:
            self.fired.append(fired)


class ProcessRunner:
    """Runs instances of one deployed process version (its spec_json) with the given functions."""

    def __init__(self, spec_json: str, functions: Mapping[str, Callable] | None = None, *,
                 script_time_limit: float = sandbox.DEFAULT_TIME_LIMIT):
        self.loaded = load_spec(spec_json)
        self.functions = _check_functions(functions or {})
        self.script_time_limit = script_time_limit

    # -- public operations ---------------------------------------------------------------------

    def start(self, data: dict) -> Snapshot:
        """Create an instance with its initial data and run it to its first wait states."""
        initial = self._clean_data(data)

        def operate(call: _Call):
            workflow = new_workflow(self.loaded, call.engine)
            workflow.get_tasks(state=TaskState.READY)[0].set_data(**initial)
            _settle(workflow, call)
            return workflow

        return self._run(operate)

    def complete(self, state_json: str, task_id: str, data: dict) -> Snapshot:
        """Complete a READY user task with the form data, then run to the next wait states."""
        values = self._clean_data(data)

        def operate(call: _Call):
            workflow = call.loaded(workflow_from_json(state_json, self.loaded, call.engine))
            if view.can_advance(workflow, datetime.now(timezone.utc), call.tasks_before):
                _settle(workflow, call)  # timers already due fire before the task completes
            task = _ready_user_task(workflow, task_id)
            declared = self.loaded.facts.form_fields.get(task.task_spec.bpmn_id, ())
            for name in declared:  # declared form fields always exist, so expressions can read them
                if name not in values and name not in task.data:
                    values[name] = None
            task.set_data(**values)
            task.run()
            _settle(workflow, call)
            return workflow

        return self._run(operate)

    def fire_due_timers(self, state_json: str) -> Snapshot:
        """Fire every timer whose due time has passed (engine clock) and run what follows."""
        def operate(call: _Call):
            workflow = call.loaded(workflow_from_json(state_json, self.loaded, call.engine))
            _settle(workflow, call)
            return workflow

        return self._run(operate)

    def reschedule_timers(self, state_json: str, due_by_timer_task_id: Mapping[str, datetime]) -> Snapshot:
        """Move pending timers to new due moments (calendar or policy changed); a past one fires."""
        for task_id, due in due_by_timer_task_id.items():
            if not isinstance(due, datetime) or due.tzinfo is None:
                raise EngineError(f"the new due time of timer {task_id} must be an aware datetime")

        def operate(call: _Call):
            workflow = call.loaded(workflow_from_json(state_json, self.loaded, call.engine))
            pending = {str(t.task_id): t for t in view.pending_timers(workflow, self.loaded.facts)}
            for task_id, due in due_by_timer_task_id.items():
                if str(task_id) not in pending:
                    raise EngineError(f"timer {task_id} is not pending in this workflow")
                task = workflow.get_task_from_id(UUID(str(task_id)))
                task.internal_data["event_value"] = due.astimezone(timezone.utc).isoformat()
            _settle(workflow, call)
            return workflow

        return self._run(operate)

    def task_form(self, bpmn_id: str) -> TaskFormSpec | None:
        """The form of a user task of this process (key and formData fields), for views and APIs."""
        return form_of(self.loaded, bpmn_id)

    def inspect(self, state_json: str) -> Snapshot:
        """A read-only view of a saved state (nothing is run, the state string is returned as is)."""
        def operate(call: _Call):
            return call.loaded(workflow_from_json(state_json, self.loaded, call.engine))

        return self._run(operate, state_json=state_json)

    # -- plumbing ------------------------------------------------------------------------------

    def _run(self, operate, state_json: str | None = None) -> Snapshot:
        call = _Call(self)
        try:
            workflow = operate(call)
            facts = self.loaded.facts
            tasks = view.scan(workflow)
            return Snapshot(
                state_json=state_json if state_json is not None else workflow_to_json(workflow),
                ready_tasks=view.ready_tasks(workflow, tasks),
                pending_timers=view.pending_timers(workflow, facts, tasks),
                fired_timers=tuple(call.fired),
                effects=tuple(call.engine.collector.effects),
                completed=workflow.is_completed(),
                end_event=view.end_event(workflow, facts, tasks),
                data=view.current_data(workflow, tasks),
                task_marks=view.task_marks(workflow, tasks),
                ready_before=call.ready_before,
                timers_before=call.timers_before,
            )
        except EngineError:
            raise
        except SpiffWorkflowException as exc:
            raise _translate_spiff_exception(exc) from exc
        except Exception as exc:
            raise EngineError(f"the engine failed: {type(exc).__name__}: {exc}") from exc

    def _clean_data(self, data: dict) -> dict:
        """A private deep copy of JSON data whose names cannot hide the script functions."""
        if data is None:
            return {}
        if not isinstance(data, Mapping):
            raise TaskDataError(f"task data must be a dict, not {type(data).__name__}")
        problem = sandbox.json_problem(dict(data), "data")
        if problem:
            raise TaskDataError(f"task data cannot be stored: {problem}")
        for name in data:
            if name.startswith("_"):
                raise TaskDataError(f"task data name {name!r} is reserved (starts with '_')")
            if name in self.functions or name in RESERVED_FUNCTION_NAMES:
                raise TaskDataError(f"task data name {name!r} would hide the script function of that name")
        return copy.deepcopy(dict(data))


def _check_functions(functions: Mapping[str, Callable]) -> dict[str, Callable]:
    checked = {}
    for name, fn in functions.items():
        if not isinstance(name, str) or not name.isidentifier() or name.startswith("_"):
            raise EngineError(f"script function name {name!r} must be an identifier not starting with '_'")
        if name in RESERVED_FUNCTION_NAMES:
            raise EngineError(f"script function name {name!r} is reserved by the engine")
        if name in sandbox.FORBIDDEN_NAMES:
            raise EngineError(f"script function name {name!r} is forbidden in scripts")
        if not callable(fn):
            raise EngineError(f"script function {name!r} is not callable")
        checked[name] = fn
    return checked


def _settle(workflow, call: _Call) -> None:
    """Run engine steps and refresh timers until nothing but user tasks and waiting events is left."""
    for _ in range(MAX_SETTLE_ROUNDS):
        workflow.do_engine_steps(will_complete_task=call.before_run)  # ends with refresh_timers()
        if not any(not task.task_spec.manual for task in view.scan(workflow).ready):
            return
    raise EngineError(f"the workflow did not settle after {MAX_SETTLE_ROUNDS} rounds of engine steps")


def _ready_user_task(workflow, task_id: str):
    try:
        uuid = UUID(str(task_id))
    except ValueError:
        raise TaskNotReady(f"task {task_id!r} is not a task id") from None
    try:
        task = workflow.get_task_from_id(uuid)
    except TaskNotFoundException:
        task = None
    if task is None:
        raise TaskNotReady(f"task {task_id} does not exist in this workflow")
    if not view.is_user_task(task):
        raise TaskNotReady(f"task {task_id} ('{task.task_spec.bpmn_id}') is not a user task")
    if task.state != TaskState.READY:
        raise TaskNotReady(f"task {task_id} ('{task.task_spec.bpmn_id}') is "
                           f"{TaskState.get_name(task.state)}, not READY")
    return task


def _translate_spiff_exception(exc: SpiffWorkflowException) -> EngineError:
    if isinstance(getattr(exc, "exception", None), EngineError):
        return exc.exception
    task = getattr(exc, "task", None)
    bpmn_id = getattr(getattr(task, "task_spec", None), "bpmn_id", None) if task is not None else None
    message = getattr(exc, "error_msg", None) or (exc.args[0] if exc.args else type(exc).__name__)
    where = f" at '{bpmn_id}'" if bpmn_id and bpmn_id not in str(message) else ""
    return EngineError(f"the process cannot continue{where}: {message}")
