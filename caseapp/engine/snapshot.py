"""Reading a live workflow into plain dataclasses: ready tasks, timers, marks, data, end event."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime, timezone

from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (TimeDateEventDefinition,
                                                              TimerEventDefinition)
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.util.task import TaskState

from .analysis import SpecFacts, queue_of, timer_info
from .types import FiredTimer, PendingTimer, ReadyTask, TimerInfo


@dataclass(frozen=True)
class TaskScan:
    """The tasks of a workflow (and its subprocesses) by state, read in one pass."""

    ready: tuple
    waiting: tuple
    completed: tuple


def scan(workflow) -> TaskScan:
    """One pass over the task dictionaries: cheaper than a tree walk per question asked."""
    ready, waiting, completed = [], [], []
    buckets = {TaskState.READY: ready, TaskState.WAITING: waiting, TaskState.COMPLETED: completed}
    for tasks in (workflow.tasks, *(sp.tasks for sp in workflow.subprocesses.values())):
        for task in tasks.values():
            bucket = buckets.get(task.state)
            if bucket is not None:
                bucket.append(task)
    return TaskScan(tuple(ready), tuple(waiting), tuple(completed))


def is_user_task(task) -> bool:
    """A task a person completes (Spiff calls them manual)."""
    return bool(task.task_spec.manual)


def _ready_user_tasks(workflow, tasks: TaskScan | None) -> list:
    ready = (tasks or scan(workflow)).ready
    return sorted((t for t in ready if t.task_spec.manual), key=lambda t: t.last_state_change)


def ready_tasks(workflow, tasks: TaskScan | None = None) -> tuple[ReadyTask, ...]:
    """READY user tasks, oldest first."""
    tasks = _ready_user_tasks(workflow, tasks)
    out = []
    for task in tasks:
        spec = task.task_spec
        form = getattr(spec, "form", None)
        out.append(ReadyTask(task_id=str(task.id), bpmn_id=spec.bpmn_id,
                             name=spec.bpmn_name or spec.bpmn_id, lane=spec.lane,
                             form_key=getattr(form, "key", None) or None, queue=queue_of(spec)))
    return tuple(out)


def parse_due(event_value) -> datetime | None:
    """The due moment stored by Spiff in internal_data['event_value'], as aware UTC."""
    if isinstance(event_value, dict):  # cycle timers keep {'cycles', 'next', 'duration'}
        event_value = event_value.get("next")
    if not isinstance(event_value, str):
        return None
    try:
        moment = datetime.fromisoformat(event_value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def _info(task, facts: SpecFacts) -> TimerInfo | None:
    spec = task.task_spec
    return facts.timers.get(spec.bpmn_id) or timer_info(spec)


def _attached_task_id(task) -> str:
    if isinstance(task.task_spec, BoundaryEvent) and task.parent is not None:
        for sibling in task.parent.children:
            if not isinstance(sibling.task_spec, BoundaryEvent):
                return str(sibling.id)
    return str(task.id)


def timer_fields(task, facts: SpecFacts) -> dict | None:
    """The PendingTimer fields of a timer task (None if it is not a timer or has no due time yet)."""
    info = _info(task, facts)
    if info is None:
        return None
    due_at = parse_due(task.internal_data.get("event_value"))
    if due_at is None:
        return None
    return dict(task_id=str(task.id), bpmn_id=info.bpmn_id, attached_to=info.attached_to,
                attached_task_id=_attached_task_id(task), phase=info.phase,
                interrupting=info.interrupting, due_at=due_at)


def pending_timers(workflow, facts: SpecFacts, tasks: TaskScan | None = None) -> tuple[PendingTimer, ...]:
    """WAITING timer events with their due time, soonest first."""
    out = []
    for task in (tasks or scan(workflow)).waiting:
        fields = timer_fields(task, facts)
        if fields is not None:
            out.append(PendingTimer(**fields))
    return tuple(sorted(out, key=lambda t: (t.due_at, t.bpmn_id)))


def fired_timer(task, facts: SpecFacts, fired_at: datetime) -> FiredTimer | None:
    """A FiredTimer for a timer task about to run, or None if the task is no timer."""
    fields = timer_fields(task, facts)
    return FiredTimer(**fields, fired_at=fired_at) if fields is not None else None


def task_marks(workflow, tasks: TaskScan | None = None) -> dict[str, str]:
    """bpmn_id -> 'ready' | 'completed' for every diagram element reached ('ready' wins in loops)."""
    tasks = tasks or scan(workflow)
    marks: dict[str, str] = {}
    for task in tasks.completed:
        bpmn_id = getattr(task.task_spec, "bpmn_id", None)
        if bpmn_id:  # Spiff's internal tasks (Start, joins, splits) are not on the diagram
            marks[bpmn_id] = "completed"
    for task in tasks.ready:
        bpmn_id = getattr(task.task_spec, "bpmn_id", None)
        if bpmn_id:
            marks[bpmn_id] = "ready"
    return marks


def end_event(workflow, facts: SpecFacts, tasks: TaskScan | None = None) -> str | None:
    """The end event of the main path, once the workflow is completed."""
    if not workflow.is_completed():
        return None
    ends = [t for t in (tasks or scan(workflow)).completed if isinstance(t.task_spec, EndEvent)]
    main = [t for t in ends if t.task_spec.bpmn_id in facts.main_end_events] or ends
    if not main:
        return None
    return max(main, key=lambda t: t.last_state_change).task_spec.bpmn_id


def current_data(workflow, tasks: TaskScan | None = None) -> dict:
    """The process data after a call: workflow data when finished, else the newest ready task's."""
    if workflow.is_completed():
        data = dict(workflow.data)
        if not data.get("data_objects"):
            data.pop("data_objects", None)
    else:
        ready = _ready_user_tasks(workflow, tasks)
        if ready:
            data = ready[-1].data
        elif workflow.last_task is not None:
            data = workflow.last_task.data
        else:
            data = {}
    return copy.deepcopy(data)


def can_advance(workflow, now: datetime, tasks: TaskScan | None = None) -> bool:
    """Whether engine steps would do anything now: an engine task is ready or a timer is due.

    A timer whose due moment cannot be read here (duration, cycle, multiple) counts as due.
    """
    tasks = tasks or scan(workflow)
    if any(not task.task_spec.manual for task in tasks.ready):
        return True
    for task in tasks.waiting:
        definition = getattr(task.task_spec, "event_definition", None)
        if not isinstance(definition, (TimerEventDefinition, MultipleEventDefinition)):
            continue  # messages and signals do not arrive with time
        if not isinstance(definition, TimeDateEventDefinition):
            return True
        due = parse_due(task.internal_data.get("event_value"))
        if due is None or due <= now or task.internal_data.get("event_fired"):
            return True
    return False
