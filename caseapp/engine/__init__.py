"""The workflow engine: the only package that imports SpiffWorkflow; plain dataclasses in and out."""

from .compiler import compile_bpmn
from .errors import (
    BpmnValidationError,
    EngineError,
    ScriptError,
    ScriptValidationError,
    TaskDataError,
    TaskNotReady,
)
from .runner import ProcessRunner
from .types import (
    CompiledProcess,
    Effect,
    FiredTimer,
    PendingTimer,
    ReadyTask,
    Snapshot,
    TimerInfo,
    UserTaskInfo,
)

__all__ = [
    "BpmnValidationError",
    "CompiledProcess",
    "Effect",
    "EngineError",
    "FiredTimer",
    "PendingTimer",
    "ProcessRunner",
    "ReadyTask",
    "ScriptError",
    "ScriptValidationError",
    "Snapshot",
    "TaskDataError",
    "TaskNotReady",
    "TimerInfo",
    "UserTaskInfo",
    "compile_bpmn",
]
