"""Engine exceptions: every failure of the engine surfaces as an EngineError subclass."""

from __future__ import annotations


class EngineError(Exception):
    """Base class; ``str(e)`` is a message fit for a log line or an admin screen."""


class BpmnValidationError(EngineError):
    """The BPMN document cannot be deployed: bad XML, no executable process, missing form key..."""


class ScriptError(EngineError):
    """A script or expression failed, timed out or tried to leave the sandbox."""

    def __init__(self, message: str, bpmn_id: str | None = None):
        super().__init__(message)
        self.bpmn_id = bpmn_id


class ScriptValidationError(BpmnValidationError, ScriptError):
    """A script or expression of a BPMN document was refused at compile time (it is both kinds)."""

    def __init__(self, message: str, bpmn_id: str | None = None):
        ScriptError.__init__(self, message, bpmn_id)


class TaskNotReady(EngineError):
    """complete() was called with a task id that is not a READY user task."""


class TaskDataError(EngineError):
    """The data handed to the engine cannot be stored (not JSON, reserved or clashing names)."""
