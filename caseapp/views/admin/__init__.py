"""Admin screens: agencies, users, categories, SLA policies, the calendar and the audit log.

One blueprint, `bp` (defined in .base with the admin-only guard and the shared form helpers);
each sibling module registers its screens on it, so every endpoint stays `admin.<view>`:
reference_data (agencies, categories), users, sla_and_calendar, audit_log.
Every route parses its form, calls one service of caseapp.services.administration and renders;
the services validate, write, audit and commit. Only the `admin` role gets in.
"""
from .base import bp
from . import audit_log, reference_data, sla_and_calendar, users  # noqa: F401  (they register their routes on bp)
from . import open311_keys  # noqa: F401  (Open311 API keys)
from . import personal_data  # noqa: F401  (reporters' personal data)

__all__ = ["bp"]
