"""Static facts about a parsed spec: user tasks, timers and their phases, scripts, main end events."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.specs.mixins.script_task import ScriptTask
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask

from .types import TimerInfo, UserTaskInfo

_PHASE_RE = re.compile(r"""sla_due\(\s*(['"])(?P<phase>[^'"]*)\1""")

# The queues a user task may be put in: camunda:candidateGroups, else its lane in lower case.
QUEUES = ("portal", "agency", "agency_leader", "supervisor")
# where the compiler keeps camunda:candidateGroups in a task spec's (serialised) extensions
CANDIDATE_GROUPS = "camunda:candidateGroups"


@dataclass(frozen=True)
class SpecFacts:
    """What the runner needs to know about a spec, computed once per loaded spec."""

    user_tasks: tuple[UserTaskInfo, ...]
    timers: dict[str, TimerInfo]            # timer bpmn id -> info
    form_fields: dict[str, tuple[str, ...]]  # user task bpmn id -> declared camunda form fields
    main_end_events: frozenset[str]          # end events reachable without a boundary event


def all_specs(spec, subprocess_specs: dict) -> list:
    """The top-level spec followed by every subprocess spec."""
    return [spec, *subprocess_specs.values()]


def task_specs(spec, subprocess_specs: dict) -> Iterator:
    """Every task spec of the process and its subprocesses, in document order."""
    for process_spec in all_specs(spec, subprocess_specs):
        yield from process_spec.task_specs.values()


def timer_phase(expression: str | None, bpmn_id: str) -> str:
    """The SLA phase of a timer: the argument of sla_due('...') in its expression, else its id."""
    match = _PHASE_RE.search(expression or "")
    return match.group("phase") if match and match.group("phase") else bpmn_id


def sla_phases(spec, subprocess_specs: dict) -> tuple[str, ...]:
    """Every phase the diagram names with sla_due('<phase>'), in timers, scripts or conditions."""
    found = set()
    for _bpmn_id, _kind, source, _mode in expressions(spec, subprocess_specs):
        found.update(match.group("phase") for match in _PHASE_RE.finditer(source or ""))
    return tuple(sorted(found))


def attached_spec(boundary_spec):
    """The task spec a boundary event guards (the non-event output of its BoundaryEventSplit)."""
    for split in boundary_spec.inputs:
        for output in split.outputs:
            if not isinstance(output, BoundaryEvent):
                return output
    return None


def _timer_definitions(event_definition) -> list[TimerEventDefinition]:
    if isinstance(event_definition, TimerEventDefinition):
        return [event_definition]
    if isinstance(event_definition, MultipleEventDefinition):
        return [d for d in event_definition.event_definitions if isinstance(d, TimerEventDefinition)]
    return []


def timer_info(task_spec) -> TimerInfo | None:
    """TimerInfo for a timer event spec (boundary or intermediate), else None."""
    timers = _timer_definitions(getattr(task_spec, "event_definition", None))
    if not timers:
        return None
    bpmn_id = task_spec.bpmn_id or task_spec.name
    if isinstance(task_spec, BoundaryEvent):
        guarded = attached_spec(task_spec)
        attached_to = (guarded.bpmn_id or guarded.name) if guarded is not None else bpmn_id
        interrupting = bool(task_spec.cancel_activity)
    else:  # an intermediate timer guards nothing: it is its own subject and interrupts nothing
        attached_to, interrupting = bpmn_id, False
    return TimerInfo(bpmn_id=bpmn_id, attached_to=attached_to,
                     phase=timer_phase(timers[0].expression, bpmn_id), interrupting=interrupting)


def candidate_groups(task_spec) -> str | None:
    """The camunda:candidateGroups the compiler kept for a user task, stripped (None if unset)."""
    extensions = getattr(task_spec, "extensions", None) or {}
    groups = (extensions.get(CANDIDATE_GROUPS) or "").strip()
    return groups or None


def derive_queue(groups: str | None, lane: str | None) -> str | None:
    """The queue of a user task: its candidate groups if set, else its lane in lower case."""
    if groups:
        return groups.strip()
    return lane.strip().lower() if lane and lane.strip() else None


def queue_of(task_spec) -> str | None:
    """The queue of a user task spec (unchecked: see queue_problems)."""
    return derive_queue(candidate_groups(task_spec), task_spec.lane)


def queue_problem(task: UserTaskInfo) -> str | None:
    """Why a user task has no usable queue, or None when its queue is one of QUEUES."""
    where = f"user task '{task.bpmn_id}' ({task.name})"
    known = ", ".join(QUEUES)
    if task.candidate_groups and "," in task.candidate_groups:
        return (f"{where} has several camunda:candidateGroups ({task.candidate_groups}); "
                f"a task is in exactly one queue: give one of {known}")
    if task.queue is None:
        return f"{where} has no camunda:candidateGroups and is in no lane: give one of {known}"
    if task.queue in QUEUES:
        return None
    if task.candidate_groups:
        return f"{where} has an unknown camunda:candidateGroups '{task.queue}': use one of {known}"
    return (f"{where} is in the lane '{task.lane}', which is no queue: use the lane Portal or "
            f"Agency, or set camunda:candidateGroups to one of {known}")


def queue_problems(user_tasks) -> list[str]:
    """Deploy check: one message per user task whose queue nobody could work from."""
    return [problem for problem in map(queue_problem, user_tasks) if problem]


def user_task_info(task_spec) -> UserTaskInfo:
    """UserTaskInfo of a user task spec."""
    form = getattr(task_spec, "form", None)
    return UserTaskInfo(bpmn_id=task_spec.bpmn_id, name=task_spec.bpmn_name or task_spec.bpmn_id,
                        lane=task_spec.lane, form_key=getattr(form, "key", None) or None,
                        queue=queue_of(task_spec), candidate_groups=candidate_groups(task_spec))


def main_end_events(spec) -> frozenset[str]:
    """End events reachable from the start without passing through a boundary event."""
    seen, found, stack = set(), set(), [spec.start]
    while stack:
        current = stack.pop()
        if current.name in seen:
            continue
        seen.add(current.name)
        if isinstance(current, EndEvent):
            found.add(current.bpmn_id)
            continue
        stack.extend(o for o in current.outputs if not isinstance(o, BoundaryEvent))
    return frozenset(found)


def expressions(spec, subprocess_specs: dict) -> Iterator[tuple[str, str, str, str]]:
    """Every script and expression the engine would run: (bpmn id, kind, source, mode)."""
    for ts in task_specs(spec, subprocess_specs):
        bpmn_id = getattr(ts, "bpmn_id", None) or ts.name
        if isinstance(ts, ScriptTask):
            yield bpmn_id, "script", ts.script or "", "exec"
        for condition, target in getattr(ts, "cond_task_specs", None) or []:
            if condition is not None:
                yield bpmn_id, f"condition of the flow to '{target}'", condition.args[0], "eval"
        definition = getattr(ts, "event_definition", None)
        definitions = (definition.event_definitions if isinstance(definition, MultipleEventDefinition)
                       else [definition])
        for d in definitions:
            expression = getattr(d, "expression", None)
            if isinstance(expression, str) and expression.strip():
                yield bpmn_id, "event expression", expression, "eval"
        for attribute in ("cardinality", "condition"):
            value = getattr(ts, attribute, None)
            if isinstance(value, str) and value.strip():
                yield bpmn_id, attribute, value, "eval"


def facts(spec, subprocess_specs: dict) -> SpecFacts:
    """Compute SpecFacts for a spec (done once per deployed version and per process)."""
    user_tasks, timers, fields = [], {}, {}
    for ts in task_specs(spec, subprocess_specs):
        if isinstance(ts, UserTask):
            user_tasks.append(user_task_info(ts))
            form = getattr(ts, "form", None)
            fields[ts.bpmn_id] = tuple(f.id for f in getattr(form, "fields", []) if f.id)
        info = timer_info(ts)
        if info is not None:
            timers[info.bpmn_id] = info
    return SpecFacts(user_tasks=tuple(user_tasks), timers=timers, form_fields=fields,
                     main_end_events=main_end_events(spec))
