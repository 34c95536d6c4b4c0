"""The staff list of cases: search and filters, with the same access rules as the case page."""
from __future__ import annotations

from dataclasses import dataclass

from ...extensions import db
from ...models import Case, CaseAssignment, Category, Deadline, utcnow
from ..access import CASE_READERS_ALL
from .queries import iso, text_search

STATUSES = ("open", "closed", "rejected")


@dataclass
class CaseFilters:
    q: str | None = None          # tracking code, or words of the description or address
    status: str | None = None     # open / closed / rejected
    category: str | None = None   # category code
    overdue: bool | None = None   # open cases with a deadline passed
    page: int = 1
    per_page: int = 25


def may_list_cases(user) -> bool:
    """Portal, monitors and admins see all cases; agency staff those their agency held."""
    return user.role in CASE_READERS_ALL or (user.role in ("officer", "leader") and bool(user.agency_id))


def _visible(user, query):
    if user.role in CASE_READERS_ALL:
        return query
    if user.role in ("officer", "leader") and user.agency_id:
        held = db.select(CaseAssignment.id).where(CaseAssignment.case_id == Case.id,
                                                  CaseAssignment.agency_id == user.agency_id)
        return query.where(db.or_(Case.current_agency_id == user.agency_id, held.exists()))
    return query.where(db.false())


def list_cases(user, filters: CaseFilters) -> tuple[list[dict], int]:
    """A page of the cases the caller may read, newest first, and the total count."""
    now = utcnow()
    query = _visible(user, db.select(Case))
    if filters.q and filters.q.strip():  # the same search as the work queue's
        query = query.where(text_search(filters.q))
    if filters.status in STATUSES:
        query = query.where(Case.status == filters.status)
    if filters.category:
        query = query.join(Category, Category.id == Case.category_id).where(
            Category.code == filters.category)
    late = db.select(Deadline.id).where(Deadline.case_id == Case.id, Deadline.state.in_(
        ("pending", "fired")), Deadline.due_at < now).exists()
    late_open = db.select(Deadline.id).where(Deadline.case_id == Case.id,
                                             Deadline.state == "pending", Deadline.due_at < now).exists()
    if filters.overdue is True:
        query = query.where(Case.status == "open", late_open)
    total = db.session.scalar(db.select(db.func.count()).select_from(query.subquery()))
    page = max(filters.page, 1)
    per_page = min(max(filters.per_page, 1), 100)
    rows = db.session.execute(
        query.add_columns(late_open.label("overdue"), late.label("ever_late"))
        .order_by(Case.created_at.desc(), Case.id.desc())
        .offset((page - 1) * per_page).limit(per_page)).all()
    return [{"tracking_code": case.tracking_code, "title": case.title,
             "category": case.category.code, "status": case.status, "phase": case.phase,
             "urgent": bool(case.urgent), "created_at": iso(case.created_at),
             "updated_at": iso(case.updated_at),
             "agency": case.current_agency.code if case.current_agency else None,
             "overdue": bool(overdue) and case.status == "open", "late": bool(ever_late)}
            for case, overdue, ever_late in rows], total
