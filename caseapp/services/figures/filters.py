"""Who sees which figures, and the period, agency, category and district they are cut by.

The scope is enforced here, not in the views: `monitor` and the portal `supervisor` see the
province, an agency `leader` only their own agency (asking for another one is refused), anyone
else is refused. Periods are whole local days (Asia/Ho_Chi_Minh): `from` and `to` are both
included; the default is the current month up to today.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone
from typing import Mapping

from ...calendar.days import LOCAL_TZ
from ...extensions import db
from ...models import Agency, Category, District
from ..errors import Forbidden, ValidationFailed

PROVINCE_ROLES = ("monitor", "supervisor")
AGENCY_ROLE = "leader"
# the register carries the reporter's identity for the portal only (the issue; the privacy rules
# in caseapp.services.access.sees_reporter_identity do not show it to the monitor either)
IDENTITY_ROLES = ("supervisor",)
MAX_PERIOD_DAYS = 732  # two years of daily trend at most


@dataclass(frozen=True)
class FigureFilters:
    """A period of local days and the optional agency, category and district (ids and codes)."""

    first_day: date
    last_day: date
    agency_id: int | None = None
    agency: str | None = None
    category_id: int | None = None
    category: str | None = None
    district_id: int | None = None
    district: str | None = None

    @property
    def start(self) -> datetime:
        """The period's first instant (local midnight of first_day) in UTC."""
        return local_midnight(self.first_day)

    @property
    def end(self) -> datetime:
        """The instant just after the period (local midnight after last_day) in UTC."""
        return local_midnight(self.last_day + timedelta(days=1))

    def as_dict(self) -> dict:
        return {"from": self.first_day.isoformat(), "to": self.last_day.isoformat(),
                "agency": self.agency, "category": self.category, "district": self.district}

    def query_args(self) -> dict:
        """The filters as query-string arguments (for export links)."""
        return {key: value for key, value in self.as_dict().items() if value}


def local_midnight(day: date) -> datetime:
    """Midnight starting a local day, as a UTC instant."""
    return datetime.combine(day, time(0), LOCAL_TZ).astimezone(timezone.utc)


def local_today(now: datetime) -> date:
    return now.astimezone(LOCAL_TZ).date()


def scope_agency(user) -> int | None:
    """The agency the user's figures are limited to (None: the province); others are refused."""
    role = getattr(user, "role", None)
    if role in PROVINCE_ROLES:
        return None
    if role == AGENCY_ROLE and getattr(user, "agency_id", None):
        return user.agency_id
    raise Forbidden("only the provincial leader, the portal supervisor and agency leaders see figures")


def may_see_figures(user) -> bool:
    """Whether the user has a dashboard at all."""
    try:
        scope_agency(user)
    except Forbidden:
        return False
    return True


def sees_identity_in_register(user) -> bool:
    """The case register carries the reporter's identity for the portal only."""
    return getattr(user, "role", None) in IDENTITY_ROLES


def parse_filters(user, args: Mapping, now: datetime) -> FigureFilters:
    """Read `from`, `to`, `agency`, `category`, `district` for this user; 422 on bad values."""
    own_agency = scope_agency(user)
    errors: dict[str, list[str]] = {}
    today = local_today(now)
    first = date_arg(args, "from", today.replace(day=1), errors)
    last = date_arg(args, "to", today, errors)
    if "from" not in errors and "to" not in errors:
        if last < first:
            errors["to"] = ["must not be before from"]
        elif (last - first).days + 1 > MAX_PERIOD_DAYS:
            errors["to"] = [f"the period is at most {MAX_PERIOD_DAYS} days"]
    filters = FigureFilters(first_day=first, last_day=last)
    agency = code_arg(args, "agency", Agency, errors)
    category = code_arg(args, "category", Category, errors)
    district = code_arg(args, "district", District, errors)
    if errors:
        raise ValidationFailed("the filters are not valid", errors)
    if own_agency is not None:
        if agency is not None and agency.id != own_agency:
            raise Forbidden("an agency leader sees only their own agency's figures")
        agency = agency or db.session.get(Agency, own_agency)
    return replace(filters,
                   agency_id=agency.id if agency else None, agency=agency.code if agency else None,
                   category_id=category.id if category else None,
                   category=category.code if category else None,
                   district_id=district.id if district else None,
                   district=district.code if district else None)


def date_arg(args: Mapping, name: str, default: date, errors) -> date:
    """A local day from a filter (YYYY-MM-DD), shared by the dashboard and the live diagram."""
    raw = args.get(name)
    if raw in (None, ""):
        return default
    try:
        value = date.fromisoformat(raw) if isinstance(raw, str) and len(raw) == 10 else None
    except ValueError:
        value = None
    if value is None or not 2000 <= value.year <= 2999:
        errors[name] = ["a date YYYY-MM-DD (years 2000 to 2999)"]
        return default
    return value


def code_arg(args: Mapping, name: str, model, errors):
    """The row a filter's code names (agency, category, district), or an error recorded."""
    raw = args.get(name)
    if raw in (None, ""):
        return None
    if not isinstance(raw, str) or len(raw) > 40:
        errors[name] = ["unknown code"]
        return None
    row = db.session.scalars(db.select(model).where(model.code == raw)).first()
    if row is None:
        errors[name] = ["unknown code"]
    return row
