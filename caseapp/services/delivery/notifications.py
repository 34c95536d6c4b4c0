"""Writing to the outbox: who is told what."""
from __future__ import annotations

from ...extensions import db
from ...models import Notification, User, utcnow


def _recipients(role: str, agency_id: int | None) -> list[User]:
    """Active holders of the role, read once per transaction (a batch notifies many cases)."""
    transaction = db.session().get_transaction()
    cached = db.session.info.get("recipients_cache")
    if cached is None or transaction is None or cached[0] is not transaction:
        cached = (transaction, {})
        if transaction is not None:
            db.session.info["recipients_cache"] = cached
    key = (role, agency_id)
    users = cached[1].get(key)
    if users is None:
        query = db.select(User).where(User.role == role, User.active.is_(True))
        if agency_id is not None:
            query = query.where(User.agency_id == agency_id)
        users = cached[1][key] = list(db.session.scalars(query.order_by(User.id)))
    return users


def notify_role(case, role: str, agency_id: int | None, kind: str, subject: str,
                body: str) -> list[Notification]:
    """One outbox row per active user holding the role (in that agency); caller commits."""
    rows = []
    for user in _recipients(role, agency_id):
        rows.append(Notification(
            case_id=getattr(case, "id", None), recipient_user_id=user.id,
            recipient_address=user.email, channel="email" if user.email else "log",
            kind=kind, subject=subject, body=body, created_at=utcnow()))
    db.session.add_all(rows)
    return rows


def notify_reporter(case, subject: str, body: str) -> Notification | None:
    """The reporter hears back by e-mail when they gave an address; caller commits."""
    if not case.reporter_email:
        return None
    row = Notification(case_id=case.id, recipient_address=case.reporter_email, channel="email",
                       kind="reply_published", subject=subject, body=body, created_at=utcnow())
    db.session.add(row)
    return row


def notifications_for(user, unread_only: bool = False, limit: int = 100) -> list[Notification]:
    """The caller's own notifications, newest first."""
    query = db.select(Notification).where(Notification.recipient_user_id == user.id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return list(db.session.scalars(query.order_by(Notification.id.desc()).limit(limit)))


def mark_read(user, notification_id: int) -> None:
    """A leader acknowledges a notification."""
    row = db.session.get(Notification, notification_id)
    if row is not None and row.recipient_user_id == user.id and row.read_at is None:
        row.read_at = utcnow()
        db.session.commit()
