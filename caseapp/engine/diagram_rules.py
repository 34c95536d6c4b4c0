"""What the engine finds wrong in a diagram, element by element, without stopping at the first.

compile_bpmn refuses a document at its first problem; a designer drawing wants them all, each on
its element: the document does not parse, a user task has no form key, a script or expression is
refused by the sandbox, a timer expression does not give a moment, duration or cycle (dry run).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)

from . import analysis, sandbox
from .compiler import MAX_BPMN_BYTES, compiled_process, parse_process, script_problems
from .errors import BpmnValidationError
from .script_engine import _timer_date
from .serialization import load_spec
from .types import CompiledProcess


@dataclass(frozen=True)
class EngineFinding:
    """One problem the engine found: a rule code, the BPMN id it is about (if any), why."""

    rule: str
    element_id: str | None
    message: str
    flow_target: str | None = None  # a flow's condition: the element the flow leads to


@dataclass(frozen=True)
class Examination:
    """A document as the engine sees it: compiled when it parses (even with refused scripts)."""

    compiled: CompiledProcess | None
    findings: tuple[EngineFinding, ...]


_CACHE_SIZE = 32
_cache: OrderedDict[str, Examination] = OrderedDict()
_cache_lock = threading.Lock()


def examine(xml: str | bytes) -> Examination:
    """Parse and compile a document, collecting every engine-level problem (cached by content:
    a debounced check while drawing sends the same document again and again)."""
    data = xml.encode("utf-8") if isinstance(xml, str) else bytes(xml)
    key = hashlib.sha256(data).hexdigest()
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    result = _examine(data)
    with _cache_lock:
        _cache[key] = result
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return result


def _examine(data: bytes) -> Examination:
    if len(data) > MAX_BPMN_BYTES:
        return Examination(None, (EngineFinding(
            "parse", None, f"the BPMN document is larger than {MAX_BPMN_BYTES} bytes"),))
    try:
        process_id, spec, subprocess_specs = parse_process(data)
    except BpmnValidationError as exc:
        message = str(exc)
        line = getattr(exc, "line", None)
        if line and f"line {line}" not in message:
            message = f"{message} (line {line})"
        return Examination(None, (EngineFinding("parse", getattr(exc, "bpmn_id", None), message),))
    facts = analysis.facts(spec, subprocess_specs)
    findings = [EngineFinding("form_key", task.bpmn_id,
                              f"user task '{task.bpmn_id}' ({task.name}) has no camunda:formKey: "
                              "give it a built-in form key (dispatch, handle, publish) or a key "
                              "of its own with camunda:formData fields")
                for task in facts.user_tasks if not task.form_key]
    findings += [EngineFinding("script", bpmn_id, message, target)
                 for bpmn_id, message, target in script_problems(spec, subprocess_specs)]
    try:
        compiled = compiled_process(data, process_id, spec, subprocess_specs, facts)
    except Exception as exc:  # noqa: BLE001 - a spec that does not round-trip cannot be deployed
        findings.append(EngineFinding("parse", None, f"the process cannot be stored: {exc}"))
        compiled = None
    return Examination(compiled, tuple(findings))


def phase_uses(spec_json: str) -> list[tuple[str, str]]:
    """(bpmn id, phase) for every sla_due('<phase>') in a timer, script or condition."""
    loaded = load_spec(spec_json)
    found = []
    for bpmn_id, _kind, source, _mode in analysis.expressions(loaded.spec, loaded.subprocess_specs):
        for match in analysis._PHASE_RE.finditer(source or ""):
            if (bpmn_id, match.group("phase")) not in found:
                found.append((bpmn_id, match.group("phase")))
    return found


_TIMER_KINDS = ((TimeDateEventDefinition, "date"), (DurationTimerEventDefinition, "duration"),
                (CycleTimerEventDefinition, "cycle"))


def _timer_kind(definition) -> str:
    for cls, kind in _TIMER_KINDS:
        if isinstance(definition, cls):
            return kind
    return "date"


def timers(spec_json: str) -> list[tuple[str, str, str]]:
    """(bpmn id, kind: date | duration | cycle, expression) of every timer event."""
    loaded = load_spec(spec_json)
    found = []
    for ts in analysis.task_specs(loaded.spec, loaded.subprocess_specs):
        definition = getattr(ts, "event_definition", None)
        definitions = (definition.event_definitions
                       if isinstance(definition, MultipleEventDefinition) else [definition])
        for d in definitions:
            if isinstance(d, TimerEventDefinition):
                found.append((ts.bpmn_id or ts.name, _timer_kind(d), d.expression or ""))
    return found


def timer_problem(bpmn_id: str, kind: str, expression: str, functions: Mapping[str, Callable],
                  data: Mapping) -> str | None:
    """Dry run of one timer expression with these functions and task data: why it would fail
    when a case reaches the timer, or None when it gives what its kind needs."""
    namespace = {name: sandbox.wrap_function(fn) for name, fn in functions.items()}
    namespace.update(data)
    namespace.update(sandbox.GUARDS)
    try:
        code = sandbox.compile_source(expression, "eval")
        value = sandbox.run_limited(code, namespace, sandbox.DEFAULT_TIME_LIMIT, "eval")
    except NameError:  # task data a case only has later: nothing to say ahead of time
        return None
    except Exception as exc:  # noqa: BLE001 - any failure is what the designer must see
        return (f"the timer '{bpmn_id}' ({expression!r}) does not evaluate: "
                f"{type(exc).__name__}: {exc}")
    try:
        if kind == "date":
            _timer_date(value, expression, bpmn_id)
        elif kind == "duration":
            TimerEventDefinition.parse_iso_duration(str(value))
            if not str(value).upper().startswith("P"):
                raise ValueError("not an ISO-8601 duration")
        else:
            TimerEventDefinition.parse_iso_recurring_interval(str(value))
    except Exception as exc:  # noqa: BLE001
        what = {"date": "an ISO-8601 date-time with its offset (e.g. sla_due('phase'))",
                "duration": "an ISO-8601 duration such as 'PT2H'",
                "cycle": "an ISO-8601 repeating interval such as 'R3/PT1H'"}[kind]
        return (f"the timer '{bpmn_id}' ({expression!r}) gives {value!r}, not {what}: {exc}")
    return None
