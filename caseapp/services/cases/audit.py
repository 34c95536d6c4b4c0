"""Audit records: admin changes and case events."""
from __future__ import annotations

from ...extensions import db
from ...models import AuditLog, CaseEvent, utcnow


def actor_label(actor) -> str:
    """How an actor is named in the trail: a username, or the system."""
    return getattr(actor, "username", None) or "system"


def record_admin_change(actor, action: str, target: str, detail: dict | None = None) -> None:
    """Every admin change leaves a trace; the caller commits."""
    db.session.add(AuditLog(actor_id=getattr(actor, "id", None), actor_label=actor_label(actor),
                            action=action, target=target, detail=detail or {}, at=utcnow()))


def record_case_event(case, kind: str, actor=None, *, phase_before=None, phase_after=None,
                      public: bool = False, detail: dict | None = None) -> CaseEvent:
    """Append to the case's audit trail, in the caller's transaction."""
    event = CaseEvent(case_id=case.id, kind=kind, actor_id=getattr(actor, "id", None),
                      actor_label=actor_label(actor), phase_before=phase_before,
                      phase_after=phase_after, public=public, detail=detail or {}, at=utcnow())
    db.session.add(event)
    return event
