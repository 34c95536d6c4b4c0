"""Emergency announcements: publish, withdraw, and what is active at a moment.

Times are stored in UTC; the staff form gives local times (Asia/Ho_Chi_Minh). Whether an
announcement is active depends only on the `now` passed in (default: the application clock,
`models.utcnow`, which freezegun controls), so every reader agrees on the same instant.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from ..extensions import db
from ..models import Announcement, utcnow
from .cases.audit import record_admin_change
from .cases.validation import MSG_INVISIBLE, has_refused_characters, is_blank
from .errors import Forbidden, NotFound, ValidationFailed

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
PUBLISHERS = ("supervisor", "monitor")          # who may publish
READERS = ("operator", "supervisor", "monitor", "admin")  # who sees the staff list
LIMITS = {"title": (3, 200), "text": (10, 2000), "area": (2, 200)}
MULTI_LINE = frozenset({"text"})
MAX_DURATION = timedelta(days=90)  # an "emergency" longer than a season is something else
PAST_SHOWN = 50

# English service messages; the screens translate them (views/announcements.py)
MSG_DATETIME = "enter a date and time"
MSG_END_BEFORE_START = "must be after the start"
MSG_END_PASSED = "must be in the future"
MSG_TOO_LONG_WINDOW = "at most 90 days after the start"


def active_announcements(now: datetime | None = None) -> list[dict]:
    """What the public sees at `now`: not withdrawn, started, not yet ended; newest first."""
    now = now or utcnow()
    rows = db.session.scalars(
        db.select(Announcement)
        .where(Announcement.withdrawn_at.is_(None), Announcement.ends_at > now,
               Announcement.starts_at <= now)
        .order_by(Announcement.starts_at.desc(), Announcement.id.desc()))
    return [public_view(row) for row in rows]


def public_view(row: Announcement) -> dict:
    """The public fields of an announcement (never who wrote it): times are aware UTC datetimes."""
    return {"id": row.id, "title": row.title, "body": row.text, "area": row.area,
            "starts_at": row.starts_at, "ends_at": row.ends_at}


def state_of(row: Announcement, now: datetime | None = None) -> str:
    """withdrawn, past, scheduled or active at `now`."""
    now = now or utcnow()
    if row.withdrawn_at is not None:
        return "withdrawn"
    if row.ends_at <= now:
        return "past"
    if row.starts_at > now:
        return "scheduled"
    return "active"


def staff_overview(user, now: datetime | None = None) -> dict:
    """The staff list: active and scheduled ones, and the latest past or withdrawn ones."""
    require_reader(user)
    now = now or utcnow()
    current = db.session.scalars(
        db.select(Announcement)
        .where(Announcement.withdrawn_at.is_(None), Announcement.ends_at > now)
        .order_by(Announcement.starts_at.desc(), Announcement.id.desc())).all()
    past = db.session.scalars(
        db.select(Announcement)
        .where(db.or_(Announcement.withdrawn_at.is_not(None), Announcement.ends_at <= now))
        .order_by(Announcement.created_at.desc(), Announcement.id.desc()).limit(PAST_SHOWN)).all()
    return {"active": [r for r in current if r.starts_at <= now],
            "scheduled": [r for r in current if r.starts_at > now],
            "past": list(past)}


def can_publish(user) -> bool:
    return getattr(user, "role", None) in PUBLISHERS


def can_read(user) -> bool:
    return getattr(user, "role", None) in READERS


def can_withdraw(user, row: Announcement) -> bool:
    """Its author or an admin, while it has not been withdrawn."""
    return getattr(user, "role", None) == "admin" or (
        user is not None and row.author_id is not None and row.author_id == user.id)


def require_reader(user) -> None:
    if not can_read(user):
        raise Forbidden("only the portal, the provincial leader and admins see announcements")


def publish_announcement(user, data: dict, now: datetime | None = None) -> Announcement:
    """Publish an announcement (portal supervisor or provincial leader); audited."""
    if not can_publish(user):
        raise Forbidden("only the portal supervisor or the provincial leader may publish")
    now = now or utcnow()
    clean = clean_announcement(data, now)
    row = Announcement(author_id=user.id, created_at=now, **clean)
    db.session.add(row)
    db.session.flush()
    record_admin_change(user, "announcement.publish", f"announcement:{row.id}",
                        {"title": row.title, "area": row.area,
                         "starts_at": row.starts_at.isoformat(), "ends_at": row.ends_at.isoformat()})
    db.session.commit()
    return row


def withdraw_announcement(user, announcement_id: int, now: datetime | None = None) -> Announcement:
    """Withdraw an announcement at once (its author or an admin); audited; twice is harmless."""
    row = db.session.get(Announcement, announcement_id)
    if row is None:
        raise NotFound("no such announcement")
    if not can_withdraw(user, row):
        raise Forbidden("only its author or an admin may withdraw an announcement")
    if row.withdrawn_at is not None:
        return row
    row.withdrawn_at = now or utcnow()
    row.withdrawn_by_id = user.id
    record_admin_change(user, "announcement.withdraw", f"announcement:{row.id}",
                        {"title": row.title})
    db.session.commit()
    return row


# ---- validation ------------------------------------------------------------------

def clean_announcement(data: dict, now: datetime) -> dict:
    """Typed text within limits and a window that ends after it starts and in the future."""
    if not isinstance(data, dict):
        raise ValidationFailed("send the announcement's fields")
    errors: dict[str, list[str]] = {}
    clean = {name: _text(data, name, errors) for name in ("title", "text", "area")}
    clean["starts_at"] = _local_datetime(data, "starts_at", errors)
    clean["ends_at"] = _local_datetime(data, "ends_at", errors)
    start, end = clean["starts_at"], clean["ends_at"]
    if end is not None and "ends_at" not in errors:
        if start is not None and end <= start:
            errors["ends_at"] = [MSG_END_BEFORE_START]
        elif end <= now:
            errors["ends_at"] = [MSG_END_PASSED]
        elif start is not None and end - start > MAX_DURATION:
            errors["ends_at"] = [MSG_TOO_LONG_WINDOW]
    if errors:
        raise ValidationFailed("the announcement has errors", errors)
    return clean


def _text(data: dict, name: str, errors: dict) -> str | None:
    value = data.get(name)
    if value is None or (isinstance(value, str) and is_blank(value)):
        errors[name] = ["required"]
        return None
    if not isinstance(value, str):
        errors[name] = ["must be text"]
        return None
    value = value.strip().replace("\r\n", "\n")
    if has_refused_characters(value, multi_line=name in MULTI_LINE):
        errors[name] = [MSG_INVISIBLE]
        return None
    low, high = LIMITS[name]
    if len(value) < low:
        errors[name] = [f"at least {low} characters"]
    elif len(value) > high:
        errors[name] = [f"at most {high} characters"]
    return value


def _local_datetime(data: dict, name: str, errors: dict) -> datetime | None:
    """A datetime, or an ISO text (`2026-12-02T08:30` from a datetime-local input): a time
    without an offset is local time in Asia/Ho_Chi_Minh. Stored in UTC."""
    value = data.get(name)
    if value in (None, ""):
        errors[name] = ["required"]
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            value = None
    if not isinstance(value, datetime):
        errors[name] = [MSG_DATETIME]
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=LOCAL_TZ)
    try:
        return value.astimezone(ZoneInfo("UTC"))
    except (OverflowError, ValueError):  # year 1 or 9999 pushed over the edge by the offset
        errors[name] = [MSG_DATETIME]
        return None
