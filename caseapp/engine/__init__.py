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
from .forms import FIELD_TYPES, FormFieldSpec, TaskFormSpec, UserTaskForm, process_forms
from .analysis import queue_problems
from .runner import RESERVED_FUNCTION_NAMES, ProcessRunner
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
    "FIELD_TYPES",
    "FiredTimer",
    "FormFieldSpec",
    "PendingTimer",
    "ProcessRunner",
    "RESERVED_FUNCTION_NAMES",
    "ReadyTask",
    "ScriptError",
    "ScriptValidationError",
    "Snapshot",
    "TaskDataError",
    "TaskFormSpec",
    "TaskNotReady",
    "TimerInfo",
    "UserTaskForm",
    "UserTaskInfo",
    "compile_bpmn",
    "queue_problems",
    "process_forms",
]
