"""The admin audit log as the admin screens list it: a filtered page, newest first."""
from __future__ import annotations

from ...extensions import db
from ...models import AuditLog


def audit_log_page(page: int = 1, per_page: int = 50, action: str | None = None) -> tuple[list[AuditLog], int]:
    """A page of the admin audit log, newest first, and the total count."""
    query = db.select(AuditLog)
    if action:
        query = query.where(AuditLog.action.like(action.replace("%", "") + "%"))
    total = db.session.scalar(db.select(db.func.count()).select_from(query.subquery()))
    page, per_page = max(page, 1), min(max(per_page, 1), 200)
    rows = db.session.scalars(query.order_by(AuditLog.at.desc(), AuditLog.id.desc())
                              .offset((page - 1) * per_page).limit(per_page))
    return list(rows), total


def audit_actions() -> list[str]:
    """The distinct action prefixes for the filter (agency, user, category, sla, calendar,
    announcement)."""
    return ["agency", "user", "category", "sla", "calendar", "announcement",
            "open311_key", "personal_data"]
