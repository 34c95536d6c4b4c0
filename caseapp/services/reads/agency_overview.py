"""What an agency leader watches: the agency's open and overdue cases, its figures, notifications.

Read-only queries on the case, deadline, breach, case_assignment and work_item tables: a fixed
number of SQL statements per page whatever the number of cases (correlated subqueries and IN
lists, never one query per row), and no engine calls.

"Overdue" for an agency means one of its task SLAs is late: a pending deadline of this agency
whose due time has passed, or a breach already recorded against this agency on the case.
Only timers that guard the phase of their own task count (deadline.phase == attached_to, such
as `handle`); a window on another task's phase, such as the one-hour `return` window on the
handling task, is not a handling delay: when it passes the agency simply may no longer return
the report.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from ...extensions import db
from ...models import Breach, Case, CaseAssignment, Category, Deadline, Notification, User, WorkItem, utcnow
from ..access import AGENCY_QUEUES
from ..errors import Forbidden
from ..delivery.notifications import notifications_for
from caseapp.calendar.days import LOCAL_TZ


@dataclass(frozen=True)
class OverviewCounts:
    open: int
    overdue: int
    resolved_this_month: int
    returned_this_month: int
    unread_notifications: int


@dataclass(frozen=True)
class OpenCase:
    tracking_code: str
    title: str
    category_code: str
    category_name: str
    category_name_en: str | None
    urgent: bool
    phase: str | None
    created_at: datetime
    assigned_at: datetime | None
    due_at: datetime | None
    overdue: bool
    handler: str | None


@dataclass(frozen=True)
class NotificationRow:
    id: int
    kind: str
    subject: str
    body: str
    created_at: datetime
    read: bool
    tracking_code: str | None


def require_leader(user) -> int:
    """The leader's agency id; anyone else is refused."""
    if getattr(user, "role", None) != "leader" or not getattr(user, "agency_id", None):
        raise Forbidden("only an agency leader has an agency overview")
    return user.agency_id


def _task_sla_late(agency_id: int, now: datetime):
    """EXISTS: a pending task SLA of this agency on the case is past due."""
    return (db.select(Deadline.id)
            .where(Deadline.case_id == Case.id, Deadline.state == "pending",
                   Deadline.agency_id == agency_id, Deadline.phase == Deadline.attached_to,
                   Deadline.due_at < now)
            .exists())


def _task_sla_breached(agency_id: int):
    """EXISTS: a breach of a task SLA was recorded against this agency on the case."""
    return (db.select(Breach.id)
            .outerjoin(Deadline, Deadline.id == Breach.deadline_id)
            .where(Breach.case_id == Case.id, Breach.agency_id == agency_id,
                   db.or_(Deadline.id.is_(None), Deadline.phase == Deadline.attached_to))
            .exists())


def overdue_condition(agency_id: int, now: datetime):
    """SQL condition on Case: overdue for this agency."""
    return db.or_(_task_sla_late(agency_id, now), _task_sla_breached(agency_id))


def _open_at(agency_id: int):
    return db.and_(Case.status == "open", Case.current_agency_id == agency_id)


def month_start(now: datetime) -> datetime:
    """Midnight of the first day of the current month in Asia/Ho_Chi_Minh, as UTC."""
    local = now.astimezone(LOCAL_TZ)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0).astimezone(timezone.utc)


def overview_counts(user, now: datetime | None = None) -> OverviewCounts:
    """The leader's figures: open, overdue, resolved and returned this month, unread messages."""
    agency_id = require_leader(user)
    now = now or utcnow()
    overdue = overdue_condition(agency_id, now)
    open_count, overdue_count = db.session.execute(
        db.select(db.func.count(Case.id),
                  db.func.coalesce(db.func.sum(db.case((overdue, 1), else_=0)), 0))
        .where(_open_at(agency_id))).one()
    since = month_start(now)
    resolved, returned = db.session.execute(
        db.select(
            db.func.coalesce(db.func.sum(db.case((CaseAssignment.outcome == "resolved", 1), else_=0)), 0),
            db.func.coalesce(db.func.sum(db.case((CaseAssignment.outcome == "returned", 1), else_=0)), 0))
        .where(CaseAssignment.agency_id == agency_id, CaseAssignment.outcome_at >= since)).one()
    unread = db.session.scalar(db.select(db.func.count(Notification.id)).where(
        Notification.recipient_user_id == user.id, Notification.read_at.is_(None)))
    return OverviewCounts(int(open_count or 0), int(overdue_count or 0), int(resolved or 0),
                          int(returned or 0), int(unread or 0))


def open_cases(user, *, overdue_only: bool = False, page: int = 1, per_page: int = 50,
               now: datetime | None = None) -> tuple[list[OpenCase], int]:
    """A page of the agency's open cases, overdue and urgent first, then by due time."""
    agency_id = require_leader(user)
    now = now or utcnow()
    overdue = overdue_condition(agency_id, now).label("overdue")
    pending_due = (db.select(db.func.min(Deadline.due_at))
                   .where(Deadline.case_id == Case.id, Deadline.state == "pending",
                          Deadline.agency_id == agency_id, Deadline.phase == Deadline.attached_to)
                   .scalar_subquery())
    breached_due = (db.select(db.func.max(Breach.due_at))
                    .outerjoin(Deadline, Deadline.id == Breach.deadline_id)
                    .where(Breach.case_id == Case.id, Breach.agency_id == agency_id,
                           db.or_(Deadline.id.is_(None), Deadline.phase == Deadline.attached_to))
                    .scalar_subquery())
    # the running task deadline, else the one already missed
    due = db.func.coalesce(pending_due, breached_due, type_=Deadline.due_at.type).label("due_at")
    assigned = (db.select(db.func.max(CaseAssignment.assigned_at))
                .where(CaseAssignment.case_id == Case.id, CaseAssignment.agency_id == agency_id)
                .scalar_subquery().label("assigned_at"))
    where = [_open_at(agency_id)]
    if overdue_only:
        where.append(overdue_condition(agency_id, now))
    total = db.session.scalar(db.select(db.func.count(Case.id)).where(*where))
    page, per_page = max(page, 1), min(max(per_page, 1), 200)
    query = (db.select(Case.id, Case.tracking_code, Case.description, Case.urgent, Case.phase,
                       Case.created_at, Category.code, Category.name, Category.name_en,
                       overdue, due, assigned)
             .join(Category, Category.id == Case.category_id)
             .where(*where)
             .order_by(db.case((overdue_condition(agency_id, now), 0), else_=1),
                       Case.urgent.desc(), due.is_(None), due, Case.created_at, Case.id)
             .offset((page - 1) * per_page).limit(per_page))
    rows = db.session.execute(query).all()
    handlers = _handlers([r.id for r in rows], agency_id)
    cases = [OpenCase(tracking_code=r.tracking_code, title=_title(r.description),
                      category_code=r.code, category_name=r.name, category_name_en=r.name_en,
                      urgent=bool(r.urgent), phase=r.phase, created_at=r.created_at,
                      assigned_at=_aware(r.assigned_at), due_at=_aware(r.due_at),
                      overdue=bool(r.overdue), handler=handlers.get(r.id))
             for r in rows]
    return cases, int(total or 0)


def _handlers(case_ids: list[int], agency_id: int) -> dict[int, str]:
    """Who claimed the open agency task of each case, in one IN query."""
    if not case_ids:
        return {}
    rows = db.session.execute(
        db.select(WorkItem.case_id, User.username)
        .join(User, User.id == WorkItem.claimed_by_id)
        .where(WorkItem.case_id.in_(case_ids), WorkItem.state == "open",
               WorkItem.queue.in_(AGENCY_QUEUES), WorkItem.agency_id == agency_id))
    return {case_id: username for case_id, username in rows}


def _title(description: str) -> str:
    text = " ".join((description or "").split())
    return text if len(text) <= 80 else text[:77] + "…"


def _aware(value):
    """Aggregates over UTC columns come back naive on SQLite: read them as UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


def leader_notifications(user, unread_only: bool = False, limit: int = 50) -> list[NotificationRow]:
    """The leader's notifications, newest first, with the tracking code of their case."""
    require_leader(user)
    rows = notifications_for(user, unread_only=unread_only, limit=limit)
    case_ids = {n.case_id for n in rows if n.case_id}
    codes = dict(db.session.execute(db.select(Case.id, Case.tracking_code)
                                    .where(Case.id.in_(case_ids))).all()) if case_ids else {}
    return [NotificationRow(id=n.id, kind=n.kind, subject=n.subject, body=n.body,
                            created_at=n.created_at, read=n.read_at is not None,
                            tracking_code=codes.get(n.case_id)) for n in rows]
