"""All models, imported here so Alembic and the app see every table."""
from .audit import AuditLog
from .case import Breach, Case, CaseAssignment, CaseEvent, CasePhoto
from .notification import Notification
from .org import AGENCY_ROLES, PORTAL_ROLES, ROLES, Agency, Category, District, User
from .process import ProcessVersion
from .settings import CalendarDay, SlaPolicy
from .types import utcnow
from .work import Deadline, WorkItem

__all__ = ["AuditLog", "Breach", "Case", "CaseAssignment", "CaseEvent", "CasePhoto",
           "Notification", "Agency", "Category", "District", "User", "ROLES", "PORTAL_ROLES", "AGENCY_ROLES",
           "ProcessVersion", "CalendarDay", "SlaPolicy", "Deadline", "WorkItem", "utcnow"]
