"""Draining the outbox: one delivery attempt per call, recorded on the notification row.

The row is the truth: `attempts` counts finished attempts, `state` is pending/sent/failed,
`last_error` keeps the latest failure and `sent_at` the moment of delivery. An attempt claims
the row with a conditional UPDATE (`state = 'pending'`), which takes the row's write lock until
commit on PostgreSQL and SQLite alike, so two workers or a worker and a sweep never send the
same row twice. Who receives what was decided when the row was written.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from flask import current_app

from ...extensions import db
from ...models import Notification, utcnow
from ...transports import OutgoingMessage, PermanentTransportError, transport_for

log = logging.getLogger(__name__)

SENT, FAILED, RETRY, SKIPPED = "sent", "failed", "retry", "skipped"
MAX_ERROR_LENGTH = 2000


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    intervals: tuple[int, ...]

    def delay_after(self, attempts: int) -> int:
        """Seconds to wait after the `attempts`-th failed attempt."""
        if not self.intervals:
            return 0
        return self.intervals[min(max(attempts, 1), len(self.intervals)) - 1]


def retry_policy(config=None) -> RetryPolicy:
    config = config if config is not None else current_app.config
    intervals = tuple(int(i) for i in config.get("NOTIFY_RETRY_SECONDS") or ())
    return RetryPolicy(max(1, int(config.get("NOTIFY_MAX_ATTEMPTS") or 1)), intervals)


def message_for(row: Notification) -> OutgoingMessage:
    return OutgoingMessage(notification_id=row.id, channel=row.channel or "log",
                           recipient_address=row.recipient_address, subject=row.subject,
                           body=row.body, kind=row.kind, case_id=row.case_id,
                           recipient_user_id=row.recipient_user_id)


def deliver(notification_id: int, transport=None) -> str:
    """One attempt at a pending notification: 'sent', 'retry', 'failed' or 'skipped'."""
    db.session.rollback()  # start from a fresh transaction: the claim must be its first statement
    claimed = db.session.execute(
        db.update(Notification)
        .where(Notification.id == notification_id, Notification.state == "pending")
        .values(attempts=Notification.attempts + 1)
        .execution_options(synchronize_session=False)).rowcount
    if not claimed:
        db.session.rollback()
        return SKIPPED
    row = db.session.scalars(db.select(Notification).where(Notification.id == notification_id)
                             .execution_options(populate_existing=True)).one()
    policy = retry_policy()
    try:
        sender = transport or transport_for(row.channel or "log", current_app.config)
        sender.send(message_for(row))
    except PermanentTransportError as exc:
        row.state, row.last_error = FAILED, _error_text(exc)
        outcome = FAILED
    except Exception as exc:  # temporary: anything a gateway or socket can raise
        row.last_error = _error_text(exc)
        if row.attempts >= policy.max_attempts:
            row.state, outcome = FAILED, FAILED
        else:
            outcome = RETRY
    else:
        row.state, row.sent_at, row.last_error = SENT, utcnow(), None
        outcome = SENT
    attempts = row.attempts
    db.session.commit()
    if outcome == FAILED:
        log.warning("notification %s failed after %s attempt(s): %s", notification_id, attempts,
                    row.last_error)
    elif outcome == RETRY:
        log.info("notification %s: attempt %s failed, will retry: %s", notification_id, attempts,
                 row.last_error)
    return outcome


def _error_text(exc: Exception) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text[:MAX_ERROR_LENGTH]


def pending_ids(limit: int = 500, after_id: int = 0) -> list[int]:
    """Pending outbox rows, oldest first (keyset pagination by id)."""
    return list(db.session.scalars(
        db.select(Notification.id).where(Notification.state == "pending", Notification.id > after_id)
        .order_by(Notification.id).limit(limit)))


# -- embedded mode (no Redis): the in-process sweeper drains the outbox --------------------------

_not_before: dict[int, float] = {}
_not_before_lock = threading.Lock()


def drain_pending(limit: int = 100) -> int:
    """Attempt pending rows whose back-off has elapsed (in-process memory); returns how many were sent.

    Used by the embedded sweeper only; with Redis, RQ jobs and the periodic sweep do this.
    """
    policy = retry_policy()
    sent = 0
    now = time.monotonic()
    for notification_id in pending_ids(limit):
        with _not_before_lock:
            if _not_before.get(notification_id, 0) > now:
                continue
        outcome = deliver(notification_id)
        with _not_before_lock:
            if outcome == RETRY:
                attempts = db.session.scalar(db.select(Notification.attempts)
                                             .where(Notification.id == notification_id)) or 1
                db.session.rollback()
                _not_before[notification_id] = time.monotonic() + policy.delay_after(attempts)
            else:
                _not_before.pop(notification_id, None)
        if outcome == SENT:
            sent += 1
    return sent
