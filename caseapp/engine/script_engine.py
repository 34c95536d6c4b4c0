"""SpiffWorkflow's script engine, rewired to run every script and expression in the sandbox."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimeDateEventDefinition

from . import sandbox
from .errors import ScriptError
from .types import Effect


class SandboxEnvironment(TaskDataEnvironment):
    """TaskDataEnvironment semantics (scripts read and write task data) on restricted code."""

    def __init__(self, functions: Mapping[str, Callable], time_limit: float):
        # self.globals holds the names scripts may call; Spiff strips them from task data after
        # a script and refuses task data that would hide them (check_for_overwrite).
        super().__init__(dict(functions))
        self.time_limit = time_limit

    def evaluate(self, expression, context, external_context=None):
        code = sandbox.compile_source(expression, "eval")
        namespace = dict(self.globals)
        namespace.update(external_context or {})
        namespace.update(context)
        namespace.update(sandbox.GUARDS)  # guards last: task data can never replace them
        return sandbox.run_limited(code, namespace, self.time_limit, "eval")

    def execute(self, script, context, external_context=None):
        code = sandbox.compile_source(script, "exec")
        external_context = external_context or {}
        self.check_for_overwrite(context, external_context)
        context.update(self.globals)
        context.update(external_context)
        context.update(sandbox.GUARDS)
        try:
            sandbox.run_limited(code, context, self.time_limit, "exec")
        finally:
            for key in list(context):  # only the script's data stays: no guard, function or global
                if (key in sandbox.GUARDS or key in ("_print", "__builtins__") or key in self.globals
                        or key in external_context or callable(context[key])):
                    context.pop(key)
        problem = sandbox.json_problem(context, "task data")
        if problem:
            raise ValueError(f"the script left data that cannot be stored: {problem}")
        return True

    def call_service(self, context, **kwargs):
        raise NotImplementedError("service tasks are not supported")


class EffectCollector:
    """Collects notify(kind, **args) calls of one engine operation as Effect objects."""

    def __init__(self):
        self.effects: list[Effect] = []

    def notify(self, kind, **kwargs):
        if not isinstance(kind, str) or not kind:
            raise ValueError("notify() needs a non-empty string kind as first argument")
        problem = sandbox.json_problem(kwargs, "notify() arguments")
        if problem:
            raise ValueError(problem)
        self.effects.append(Effect(name=kind, args=copy.deepcopy(kwargs)))


def _task_label(task) -> str:
    spec = task.task_spec
    return getattr(spec, "bpmn_id", None) or spec.name


class SandboxScriptEngine(PythonScriptEngine):
    """Evaluates expressions and runs scripts in the sandbox; every failure becomes ScriptError."""

    def __init__(self, functions: Mapping[str, Callable], time_limit: float = sandbox.DEFAULT_TIME_LIMIT):
        self.collector = EffectCollector()
        exposed = {name: sandbox.wrap_function(fn) for name, fn in functions.items()}
        exposed["notify"] = self.collector.notify
        super().__init__(environment=SandboxEnvironment(exposed, time_limit))

    def validate(self, expression):
        try:
            sandbox.compile_source(expression, "eval")
        except sandbox.SandboxViolation as exc:
            raise ScriptError(f"expression {expression!r} is not allowed: {exc}") from None

    def evaluate(self, task, expression, external_context=None):
        bpmn_id = _task_label(task)
        try:
            result = self.environment.evaluate(expression, task.data, external_context)
        except Exception as exc:
            raise _script_error("expression", expression, bpmn_id, exc) from exc
        event_definition = getattr(task.task_spec, "event_definition", None)
        if isinstance(event_definition, TimeDateEventDefinition):
            result = _timer_date(result, expression, bpmn_id)
        return result

    def execute(self, task, script, external_context=None):
        bpmn_id = _task_label(task)
        try:
            return self.environment.execute(script, task.data, external_context or {})
        except Exception as exc:
            raise _script_error("script", script, bpmn_id, exc) from exc

    def call_service(self, task, **kwargs):
        raise ScriptError(f"task '{_task_label(task)}': service tasks are not supported",
                          _task_label(task))


def _script_error(kind: str, source: str, bpmn_id: str, exc: Exception) -> ScriptError:
    if isinstance(exc, ScriptError):
        return exc
    if isinstance(exc, sandbox.SandboxViolation):
        reason = f"was refused by the sandbox: {exc}"
    elif isinstance(exc, sandbox.ScriptTimeout):
        reason = f"was stopped: {exc}"
    else:
        reason = f"failed with {type(exc).__name__}: {exc}"
    snippet = " ".join(source.split())
    if len(snippet) > 120:
        snippet = snippet[:117] + "..."
    return ScriptError(f"The {kind} of '{bpmn_id}' ({snippet!r}) {reason}", bpmn_id)


def _timer_date(value: Any, expression: str, bpmn_id: str) -> str:
    """A timeDate must be an aware moment; accept datetimes too and store them as ISO-8601 UTC."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise ScriptError(f"The timer '{bpmn_id}' ({expression!r}) returned {value!r}, "
                              "not an ISO-8601 date-time", bpmn_id) from None
    else:
        raise ScriptError(f"The timer '{bpmn_id}' ({expression!r}) returned a "
                          f"{type(value).__name__}, not an ISO-8601 date-time", bpmn_id)
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ScriptError(f"The timer '{bpmn_id}' ({expression!r}) returned {value!r} "
                          "without a timezone", bpmn_id)
    return moment.astimezone(timezone.utc).isoformat()
