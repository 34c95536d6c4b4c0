"""Removing a reporter's identity from cases (after retention, or on the reporter's request).

The case stays for the public record; its name and phone become the ERASED marker, the e-mail
and the phone digest are cleared, and the e-mail copies in the outbox go too.
"""
from __future__ import annotations

from ...extensions import db
from ...models import Case, Notification
from ..cases.audit import record_case_event
from .encryption import ERASED

REASONS = ("retention", "request")


def erase_identity(case: Case, reason: str, actor=None) -> None:
    """Replace the case's identity by the marker and say so in its trail; the caller commits."""
    case.reporter_name = ERASED
    case.reporter_phone = ERASED  # the digest follows (models.case: None for the marker)
    case.reporter_email = None
    db.session.execute(
        db.update(Notification)
        .where(Notification.case_id == case.id, Notification.recipient_user_id.is_(None),
               Notification.recipient_address.is_not(None))
        .values(recipient_address=None))
    db.session.execute(  # a message that can no longer reach anyone is not retried
        db.update(Notification)
        .where(Notification.case_id == case.id, Notification.recipient_user_id.is_(None),
               Notification.state == "pending")
        .values(state="failed", last_error="personal data erased"))
    record_case_event(case, "personal_data_erased", actor, phase_before=case.phase,
                      phase_after=case.phase,
                      detail={"reason": reason if reason in REASONS else "request"})


def is_erased(case: Case) -> bool:
    """Whether the case's identity was removed already."""
    return case.reporter_phone == ERASED
