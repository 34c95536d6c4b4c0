"""All models, imported here so Alembic and the app see every table."""
from .announcement import Announcement
from .audit import AuditLog
from . import board  # noqa: F401  the public board's indexes on case_file
from .case import Breach, Case, CaseAssignment, CaseEvent, CasePhoto
from .case_move import CaseMove, ProcessMove
from .notification import Notification
from .open311 import Open311Key
from .org import AGENCY_ROLES, PORTAL_ROLES, ROLES, Agency, Category, District, User
from .privacy import IdentityDisclosure, PersonalDataSetting
from .process import ProcessVersion
from .process_draft import ProcessDraft
from .settings import CalendarDay, SlaPolicy
from .types import utcnow
from .work import Deadline, WorkItem

__all__ = ["Announcement", "AuditLog", "Breach", "Case", "CaseAssignment", "CaseEvent", "CasePhoto",
           "Notification", "Open311Key", "Agency", "Category", "District", "User", "ROLES", "PORTAL_ROLES", "AGENCY_ROLES",
           "IdentityDisclosure", "PersonalDataSetting", "ProcessVersion", "CalendarDay", "SlaPolicy", "Deadline", "WorkItem", "utcnow", "ProcessDraft", "CaseMove", "ProcessMove"]
from .figures import (DailyAssignments, DailyBounces, DailyCases, DailyDurations,  # noqa: E402,F401
                      DailyDuties, FiguresRollup)  # the dashboard's daily rollup
