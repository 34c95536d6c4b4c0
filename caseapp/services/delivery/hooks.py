"""After-commit hooks: how the scheduler (timers/) hears about new deadlines and messages.

Services call these after their transaction commits; in embedded mode nothing is registered
and the in-process sweeper does the work, with RQ the timers package registers its schedulers.
"""
from __future__ import annotations

import logging
from typing import Callable

log = logging.getLogger(__name__)

_deadline_listeners: list[Callable[[list[int]], None]] = []
_notification_listeners: list[Callable[[list[int]], None]] = []


def on_deadlines_changed(listener: Callable[[list[int]], None]) -> None:
    """Register a scheduler for deadline rows that were created or changed."""
    if listener not in _deadline_listeners:
        _deadline_listeners.append(listener)


def on_notifications_created(listener: Callable[[list[int]], None]) -> None:
    """Register a sender for new outbox rows."""
    if listener not in _notification_listeners:
        _notification_listeners.append(listener)


def clear() -> None:
    """Forget every listener (tests, and apps created in embedded mode)."""
    _deadline_listeners.clear()
    _notification_listeners.clear()


def _call(listeners, ids) -> None:
    if not ids:
        return
    for listener in list(listeners):
        try:
            listener(list(ids))
        except Exception:  # the database is the truth: the sweep catches up on anything missed
            log.exception("after-commit listener %r failed", listener)


def deadlines_changed(ids) -> None:
    """Tell the scheduler; a failure here never undoes the committed command."""
    _call(_deadline_listeners, ids)


def notifications_created(ids) -> None:
    """Tell the sender; a failure here never undoes the committed command."""
    _call(_notification_listeners, ids)
