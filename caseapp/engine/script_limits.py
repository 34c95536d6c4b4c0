"""How long and how large a diagram script may run: CPU time (its own, not its trusted
functions'), memory growth, and the tracer that stops it. The compile-time policy and the guards
are in sandbox.py. Nothing here imports SpiffWorkflow.
"""
from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from types import CodeType
from typing import Any

SCRIPT_FILENAME = "<bpmn-script>"  # the file name restricted code is compiled under
DEFAULT_TIME_LIMIT = 1.0  # seconds of CPU time per script or expression
MAX_MEMORY_GROWTH = 128 * 1024 * 1024  # bytes the process may grow by while one script runs
MEMORY_CHECK_EVERY = 1024  # opcodes between two looks at the process's resident memory


class ScriptTimeout(Exception):
    """The script ran longer than its time limit."""


class ScriptMemoryLimit(ScriptTimeout):
    """The script made the process grow past MAX_MEMORY_GROWTH (stopped like a time-out)."""


def _resident_bytes() -> int | None:
    """This process's resident memory now (Linux /proc), or None where it cannot be read."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * _PAGE_SIZE
    except (OSError, ValueError, IndexError):
        return None


_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _cpu() -> float:
    """The CPU time of this thread: a script is stopped for what it runs, not for waiting on a
    busy machine (a wall clock failed deploys on a loaded host); freezegun does not freeze it."""
    return time.clock_gettime(time.CLOCK_THREAD_CPUTIME_ID)


if not hasattr(time, "clock_gettime"):  # pragma: no cover - non-POSIX fallback
    _REAL_CPU = (time.thread_time,)

    def _cpu() -> float:  # noqa: F811
        return _REAL_CPU[0]()


# The CPU a script's trusted functions (sla_due reading the database, say) spend is theirs, not
# the script's: it is not counted against the script's limit, and they are never interrupted
# half-way. A script that only calls them in a loop is still stopped, at TRUSTED_TIME_FACTOR
# times its limit in all.
TRUSTED_TIME_FACTOR = 10
_running = threading.local()


def run_limited(code: CodeType, namespace: dict, time_limit: float, mode: str) -> Any:
    """Run restricted code with a tracer that stops it after time_limit CPU seconds of its own,
    or once the process has grown by MAX_MEMORY_GROWTH (a loop appending within its time could
    take GBs)."""
    started = _cpu()
    deadline = started + time_limit
    hard_deadline = started + time_limit * TRUSTED_TIME_FACTOR
    baseline = _resident_bytes()
    countdown = [MEMORY_CHECK_EVERY]
    outer_trusted = getattr(_running, "trusted", None)
    _running.trusted = 0.0  # CPU seconds spent inside trusted functions during this run

    def local_trace(frame, event, arg):
        now = _cpu()
        if now - _running.trusted > deadline or now > hard_deadline:
            raise ScriptTimeout(f"the script ran longer than {time_limit:g} s")
        countdown[0] -= 1
        if countdown[0] <= 0 and baseline is not None:
            countdown[0] = MEMORY_CHECK_EVERY
            resident = _resident_bytes()
            if resident is not None and resident - baseline > MAX_MEMORY_GROWTH:
                raise ScriptMemoryLimit(
                    f"the script used more than {MAX_MEMORY_GROWTH // (1024 * 1024)} MB of memory")
        return local_trace

    def global_trace(frame, event, arg):
        # Trace the script's own frames only, opcode by opcode (a loop written on one line makes
        # no new line events to stop it at); trusted code it calls runs untraced and unchecked.
        if frame.f_code.co_filename != SCRIPT_FILENAME:
            return None
        frame.f_trace_opcodes = True
        return local_trace(frame, event, arg)

    previous = sys.gettrace()
    sys.settrace(global_trace)
    try:
        if mode == "eval":
            return eval(code, namespace)  # noqa: S307 - restricted code, guarded namespace
        exec(code, namespace)  # noqa: S102 - restricted code, guarded namespace
        return None
    finally:
        sys.settrace(previous)
        _running.trusted = outer_trusted


def wrap_function(func: Callable) -> Callable:
    """Expose a trusted callable as a bare function, so scripts cannot reach the object behind it."""
    def call(*args, **kwargs):
        started = _cpu()
        try:
            return func(*args, **kwargs)
        finally:
            if getattr(_running, "trusted", None) is not None:  # not counted against the script
                _running.trusted += _cpu() - started
    call.__name__ = getattr(func, "__name__", "function")
    return call
