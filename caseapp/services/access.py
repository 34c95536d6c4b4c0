"""Who may see and act on what: role and ownership, in one place."""
from __future__ import annotations

from ..extensions import db
from ..models import Case, CaseAssignment, WorkItem
from .errors import Forbidden

# A work item's queue (camunda:candidateGroups, else its lane) says who may see, claim and
# complete it; the supervisor queue and any queue not named here go to the supervisor.
PORTAL_QUEUE, AGENCY_QUEUE, LEADER_QUEUE = "portal", "agency", "agency_leader"
AGENCY_QUEUES = (AGENCY_QUEUE, LEADER_QUEUE)  # worked by the case's current agency
STAFF_ROLES = ("operator", "supervisor", "officer", "leader", "monitor", "designer", "admin")
CASE_READERS_ALL = ("operator", "supervisor", "monitor", "admin")


def can_work_item(user, item: WorkItem) -> bool:
    """The item's queue decides: portal, that agency's staff, that agency's leader, or supervisor.

    An item in no queue the rules know (rows of processes deployed before queues were checked)
    goes to the supervisor, so no task is ever left without anyone to do it.
    """
    if item.queue == PORTAL_QUEUE:
        return user.role in ("operator", "supervisor")
    if item.queue in AGENCY_QUEUES:
        roles = ("leader",) if item.queue == LEADER_QUEUE else ("officer", "leader")
        return user.role in roles and user.agency_id is not None \
            and user.agency_id == item.agency_id
    return user.role == "supervisor"


def queue_condition(user):
    """The SQL condition on work_item matching exactly the items can_work_item lets the user act on.

    None when the user has no work queue at all.
    """
    queue = WorkItem.queue
    if user.role == "operator":
        return queue == PORTAL_QUEUE
    if user.role == "supervisor":  # the portal, the supervisor's own, and anything unknown
        return db.or_(queue.is_(None), queue.not_in(AGENCY_QUEUES))
    if user.role in ("officer", "leader") and user.agency_id:
        queues = AGENCY_QUEUES if user.role == "leader" else (AGENCY_QUEUE,)
        return db.and_(queue.in_(queues), WorkItem.agency_id == user.agency_id)
    return None


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
