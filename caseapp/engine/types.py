"""Plain frozen dataclasses exchanged with the engine; no SpiffWorkflow object ever leaves it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class UserTaskInfo:
    bpmn_id: str
    name: str
    lane: str | None
    form_key: str | None
    queue: str | None = None             # camunda:candidateGroups, else the lane in lower case
    candidate_groups: str | None = None  # camunda:candidateGroups as written


@dataclass(frozen=True)
class TimerInfo:
    bpmn_id: str
    attached_to: str
    phase: str
    interrupting: bool


@dataclass(frozen=True)
class CompiledProcess:
    process_id: str
    bpmn_sha256: str
    spec_json: str
    user_tasks: tuple[UserTaskInfo, ...]
    timers: tuple[TimerInfo, ...]
    phases: tuple[str, ...] = ()  # every sla_due('<phase>') the diagram calls, sorted


@dataclass(frozen=True)
class ReadyTask:
    task_id: str
    bpmn_id: str
    name: str
    lane: str | None
    form_key: str | None
    queue: str | None = None  # camunda:candidateGroups, else the lane in lower case


@dataclass(frozen=True)
class PendingTimer:
    task_id: str
    bpmn_id: str
    attached_to: str
    attached_task_id: str
    phase: str
    interrupting: bool
    due_at: datetime


@dataclass(frozen=True)
class FiredTimer:
    task_id: str
    bpmn_id: str
    attached_to: str
    attached_task_id: str
    phase: str
    interrupting: bool
    due_at: datetime
    fired_at: datetime


@dataclass(frozen=True)
class Effect:
    name: str
    args: dict


@dataclass(frozen=True)
class Snapshot:
    state_json: str
    ready_tasks: tuple[ReadyTask, ...]
    pending_timers: tuple[PendingTimer, ...]
    fired_timers: tuple[FiredTimer, ...]
    effects: tuple[Effect, ...]
    completed: bool
    end_event: str | None
    data: dict = field(default_factory=dict)
    task_marks: dict = field(default_factory=dict)
    # what the state the call started from had: READY user task ids, pending timer id -> due
    ready_before: frozenset = frozenset()
    timers_before: dict = field(default_factory=dict)
