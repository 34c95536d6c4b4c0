"""Who may see and act on what: role and ownership, in one place."""
from __future__ import annotations

from ..extensions import db
from ..models import Case, CaseAssignment, WorkItem
from .errors import Forbidden

PORTAL_LANE = "Portal"
AGENCY_LANE = "Agency"
STAFF_ROLES = ("operator", "supervisor", "officer", "leader", "monitor", "designer", "admin")
CASE_READERS_ALL = ("operator", "supervisor", "monitor", "admin")


def can_work_item(user, item: WorkItem) -> bool:
    """Portal items belong to operators and the supervisor; agency items to that agency's staff."""
    if item.lane == PORTAL_LANE:
        return user.role in ("operator", "supervisor")
    if item.lane == AGENCY_LANE:
        return user.role in ("officer", "leader") and user.agency_id is not None \
            and user.agency_id == item.agency_id
    return user.role == "supervisor"


def require_work_item(user, item: WorkItem) -> None:
    """Refuse a work item that is not the caller's to see."""
    if not can_work_item(user, item):
        raise Forbidden("this work item is not in your queue")


def agency_has_held(agency_id: int, case: Case) -> bool:
    """An agency may read a case it holds or held before."""
    if case.current_agency_id == agency_id:
        return True
    return db.session.scalar(db.select(CaseAssignment.id).where(
        CaseAssignment.case_id == case.id, CaseAssignment.agency_id == agency_id).limit(1)) is not None


def can_view_case(user, case: Case) -> bool:
    """Portal, monitors and admins see every case; agency staff only those their agency held."""
    if user.role in CASE_READERS_ALL:
        return True
    if user.role in ("officer", "leader") and user.agency_id:
        return agency_has_held(user.agency_id, case)
    return False


def require_case(user, case: Case) -> None:
    """Refuse a case the caller may not read."""
    if not can_view_case(user, case):
        raise Forbidden("you may not see this case")


def sees_reporter_identity(user, case: Case) -> bool:
    """The portal always; an agency only when the reporter consented."""
    if user.role in ("operator", "supervisor", "admin"):
        return True
    return user.role in ("officer", "leader") and bool(case.consent_share_identity)
