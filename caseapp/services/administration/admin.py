"""Administration use cases: agencies, users, categories, SLA policies, the calendar, the audit log.

Every function that changes something validates its input (raising ValidationFailed with
per-field messages), writes, records the change with record_admin_change, and commits.
Error messages are English msgids marked with N_ so the admin screens can translate them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import holidays
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...models import AGENCY_ROLES, ROLES, Agency, AuditLog, CalendarDay, Category, SlaPolicy, User, utcnow
from caseapp.calendar.sla import DEFAULT_POLICIES
from ..cases import recompute
from . import sla_settings
from ..cases.audit import record_admin_change
from ..errors import NotFound, ValidationFailed


def N_(message: str) -> str:
    """Mark a message for translation; the screens translate it when they show it."""
    return message


AGENCY_KINDS = ("department", "district", "commune", "other")
CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_]{1,39}$")
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,79}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_PATTERN = re.compile(r"^\+?[0-9 .-]{6,20}$")
MIN_PASSWORD = 8
CALENDAR_KINDS = ("day_off", "working")

MSG_REQUIRED = N_("This field is required.")
MSG_TOO_LONG = N_("This value is too long.")
MSG_CODE_FORMAT = N_("Use 2–40 lowercase letters, digits or _ (starting with a letter or digit).")
MSG_CODE_TAKEN = N_("This code is already in use.")
MSG_USERNAME_FORMAT = N_("Use 3–80 lowercase letters, digits, '.', '_' or '-'.")
MSG_USERNAME_TAKEN = N_("This username is already in use.")
MSG_UNKNOWN_ROLE = N_("Unknown role.")
MSG_UNKNOWN_KIND = N_("Unknown kind.")
MSG_AGENCY_REQUIRED = N_("Agency officers and leaders must belong to an agency.")
MSG_AGENCY_FORBIDDEN = N_("Only agency officers and leaders belong to an agency.")
MSG_UNKNOWN_AGENCY = N_("Unknown or inactive agency.")
MSG_EMAIL = N_("Not a valid e-mail address.")
MSG_PHONE = N_("Not a valid phone number.")
MSG_PASSWORD_SHORT = N_("The password must have at least 8 characters.")
MSG_SORT = N_("Enter a whole number between -10000 and 10000.")
MSG_SELF_DEACTIVATE = N_("You cannot deactivate your own account.")
MSG_SELF_DEMOTE = N_("You cannot remove the administrator role from your own account.")


# ---------------------------------------------------------------- helpers

def _text(data: dict, name: str, errors: dict, *, max_len: int, required: bool = False) -> str | None:
    value = data.get(name)
    value = value.strip() if isinstance(value, str) else ("" if value is None else str(value).strip())
    if not value:
        if required:
            errors[name] = [MSG_REQUIRED]
        return None
    if len(value) > max_len:
        errors[name] = [MSG_TOO_LONG]
    return value


def _flag(data: dict, name: str, default: bool = True) -> bool:
    value = data.get(name, default)
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "y", "on")
    return bool(value)


def _code(data: dict, errors: dict) -> str | None:
    code = _text(data, "code", errors, max_len=40, required=True)
    if code is None or "code" in errors:
        return code
    code = code.lower()
    if not CODE_PATTERN.match(code):
        errors["code"] = [MSG_CODE_FORMAT]
    return code


def _changes(row, after: dict) -> dict:
    """Apply `after` to row; return {"before": …, "after": …} of the fields that changed."""
    before, changed = {}, {}
    for name, value in after.items():
        old = getattr(row, name)
        if old != value:
            before[name], changed[name] = old, value
            setattr(row, name, value)
    return {"before": before, "after": changed}


def _commit_unique(field: str, message: str) -> None:
    """Commit; a unique violation from a concurrent admin becomes a field error."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise ValidationFailed("duplicate value", {field: [message]}) from None


def _raise_if(errors: dict, message: str) -> None:
    if errors:
        db.session.rollback()
        raise ValidationFailed(message, errors)


# ---------------------------------------------------------------- agencies

def list_agencies(include_inactive: bool = True) -> list[Agency]:
    """Every agency, by code."""
    query = db.select(Agency).order_by(Agency.active.desc(), Agency.name, Agency.code)
    if not include_inactive:
        query = query.where(Agency.active.is_(True))
    return list(db.session.scalars(query))


def get_agency(agency_id: int) -> Agency:
    agency = db.session.get(Agency, agency_id)
    if agency is None:
        raise NotFound("no such agency")
    return agency


def _agency_fields(data: dict, errors: dict) -> dict:
    kind = (data.get("kind") or "").strip() if isinstance(data.get("kind"), str) else ""
    if kind not in AGENCY_KINDS:
        errors["kind"] = [MSG_REQUIRED if not kind else MSG_UNKNOWN_KIND]
    return {"name": _text(data, "name", errors, max_len=200, required=True),
            "name_en": _text(data, "name_en", errors, max_len=200),
            "kind": kind, "active": _flag(data, "active")}


def _create_coded(actor, model, kind: str, data: dict, fields_of):
    """Create an agency or category: a permanent unique code plus its editable fields."""
    errors: dict[str, list[str]] = {}
    code = _code(data, errors)
    fields = fields_of(data, errors)
    if code and "code" not in errors and db.session.scalar(
            db.select(model.id).where(db.func.lower(model.code) == code)) is not None:
        errors["code"] = [MSG_CODE_TAKEN]
    _raise_if(errors, f"the {kind} has errors")
    row = model(code=code, **fields)
    db.session.add(row)
    record_admin_change(actor, f"{kind}.create", f"{kind}:{code}", {"after": dict(fields, code=code)})
    _commit_unique("code", MSG_CODE_TAKEN)
    return row


def _update_coded(actor, row, kind: str, data: dict, fields_of):
    """Change the editable fields of an agency or category; only real changes are audited."""
    errors: dict[str, list[str]] = {}
    fields = fields_of(data, errors)
    _raise_if(errors, f"the {kind} has errors")
    detail = _changes(row, fields)
    if detail["after"]:
        record_admin_change(actor, f"{kind}.update", f"{kind}:{row.code}", detail)
    db.session.commit()
    return row


def create_agency(actor, data: dict) -> Agency:
    """A new handling agency; its code is permanent."""
    return _create_coded(actor, Agency, "agency", data, _agency_fields)


def update_agency(actor, agency_id: int, data: dict) -> Agency:
    """Rename an agency, change its kind, (de)activate it; the code stays."""
    return _update_coded(actor, get_agency(agency_id), "agency", data, _agency_fields)


# ---------------------------------------------------------------- categories

def list_categories() -> list[Category]:
    return list(db.session.scalars(db.select(Category).order_by(Category.sort, Category.code)))


def get_category(category_id: int) -> Category:
    category = db.session.get(Category, category_id)
    if category is None:
        raise NotFound("no such category")
    return category


def _category_fields(data: dict, errors: dict) -> dict:
    raw = data.get("sort")
    sort = 0
    if raw not in (None, ""):
        try:
            sort = int(str(raw).strip())
        except ValueError:
            errors["sort"] = [MSG_SORT]
        else:
            if not -10000 <= sort <= 10000:
                errors["sort"] = [MSG_SORT]
    return {"name": _text(data, "name", errors, max_len=120, required=True),
            "name_en": _text(data, "name_en", errors, max_len=120),
            "sort": sort, "active": _flag(data, "active")}


def create_category(actor, data: dict) -> Category:
    """A new report topic offered to citizens."""
    return _create_coded(actor, Category, "category", data, _category_fields)


def update_category(actor, category_id: int, data: dict) -> Category:
    """Rename, reorder, (de)activate a category; the code stays (cases refer to it)."""
    return _update_coded(actor, get_category(category_id), "category", data, _category_fields)


# ---------------------------------------------------------------- users

@dataclass
class UserFilters:
    role: str | None = None
    agency_id: int | None = None
    active: bool | None = None
    q: str | None = None
    page: int = 1
    per_page: int = 50


def list_users(filters: UserFilters) -> tuple[list[User], int]:
    """A page of staff accounts matching the filters, and the total count."""
    query = db.select(User)
    if filters.role:
        query = query.where(User.role == filters.role)
    if filters.agency_id:
        query = query.where(User.agency_id == filters.agency_id)
    if filters.active is not None:
        query = query.where(User.active.is_(filters.active))
    if filters.q:
        pattern = "%" + filters.q.strip().lower().replace("\\", "\\\\").replace("%", "\\%") \
            .replace("_", "\\_") + "%"
        query = query.where(db.or_(db.func.lower(User.username).like(pattern, escape="\\"),
                                   db.func.lower(User.full_name).like(pattern, escape="\\")))
    total = db.session.scalar(db.select(db.func.count()).select_from(query.subquery()))
    page, per_page = max(filters.page, 1), min(max(filters.per_page, 1), 200)
    rows = db.session.scalars(query.order_by(User.username).offset((page - 1) * per_page)
                              .limit(per_page)).unique()
    return list(rows), total


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("no such user")
    return user


def _user_fields(data: dict, errors: dict, current: User | None = None) -> dict:
    role = data.get("role") if isinstance(data.get("role"), str) else None
    role = (role or "").strip()
    if not role:
        errors["role"] = [MSG_REQUIRED]
    elif role not in ROLES:
        errors["role"] = [MSG_UNKNOWN_ROLE]
    raw_agency = data.get("agency_id")
    agency_id = None
    if raw_agency not in (None, ""):
        try:
            agency_id = int(raw_agency)
        except (TypeError, ValueError):
            errors["agency_id"] = [MSG_UNKNOWN_AGENCY]
    if "agency_id" not in errors and role in ROLES:
        if role in AGENCY_ROLES and agency_id is None:
            errors["agency_id"] = [MSG_AGENCY_REQUIRED]
        elif role not in AGENCY_ROLES and agency_id is not None:
            errors["agency_id"] = [MSG_AGENCY_FORBIDDEN]
    if agency_id is not None and "agency_id" not in errors:
        agency = db.session.get(Agency, agency_id)
        keeps_old = current is not None and current.agency_id == agency_id
        if agency is None or (not agency.active and not keeps_old):
            errors["agency_id"] = [MSG_UNKNOWN_AGENCY]
    email = _text(data, "email", errors, max_len=200)
    if email and "email" not in errors and not EMAIL_PATTERN.match(email):
        errors["email"] = [MSG_EMAIL]
    phone = _text(data, "phone", errors, max_len=30)
    if phone and "phone" not in errors and not PHONE_PATTERN.match(phone):
        errors["phone"] = [MSG_PHONE]
    return {"full_name": _text(data, "full_name", errors, max_len=200) or "",
            "role": role, "agency_id": agency_id, "email": email, "phone": phone,
            "active": _flag(data, "active")}


def _password(data: dict, errors: dict, name: str = "password") -> str | None:
    password = data.get(name)
    if not isinstance(password, str) or not password:
        errors[name] = [MSG_REQUIRED]
        return None
    if len(password) < MIN_PASSWORD:
        errors[name] = [MSG_PASSWORD_SHORT]
    elif len(password) > 200:
        errors[name] = [MSG_TOO_LONG]
    return password


def create_user(actor, data: dict) -> User:
    """A staff account; the password is stored only as a salted hash."""
    errors: dict[str, list[str]] = {}
    username = _text(data, "username", errors, max_len=80, required=True)
    if username and "username" not in errors:
        username = username.lower()
        if not USERNAME_PATTERN.match(username):
            errors["username"] = [MSG_USERNAME_FORMAT]
        elif db.session.scalar(db.select(User.id).where(
                db.func.lower(User.username) == username)) is not None:
            errors["username"] = [MSG_USERNAME_TAKEN]
    fields = _user_fields(data, errors)
    password = _password(data, errors)
    _raise_if(errors, "the user has errors")
    user = User(username=username, failed_logins=0, **fields)
    user.set_password(password)
    db.session.add(user)
    record_admin_change(actor, "user.create", f"user:{username}", {"after": dict(
        fields, username=username, agency=_agency_code(fields["agency_id"]))})
    _commit_unique("username", MSG_USERNAME_TAKEN)
    return user


def _agency_code(agency_id: int | None) -> str | None:
    if agency_id is None:
        return None
    return db.session.scalar(db.select(Agency.code).where(Agency.id == agency_id))


def update_user(actor, user_id: int, data: dict) -> User:
    """Change a user's role, agency, contact details or active flag; the username stays."""
    user = get_user(user_id)
    errors: dict[str, list[str]] = {}
    fields = _user_fields(data, errors, current=user)
    if getattr(actor, "id", None) == user.id:
        if not fields["active"]:
            errors["active"] = [MSG_SELF_DEACTIVATE]
        if fields["role"] and fields["role"] != user.role and user.role == "admin":
            errors["role"] = [MSG_SELF_DEMOTE]
    _raise_if(errors, "the user has errors")
    old_agency = user.agency_id
    detail = _changes(user, fields)
    if "agency_id" in detail["after"]:
        detail["before"]["agency"] = _agency_code(old_agency)
        detail["after"]["agency"] = _agency_code(user.agency_id)
        if user.agency_id != old_agency:
            user.agency = db.session.get(Agency, user.agency_id) if user.agency_id else None
    if detail["after"]:
        record_admin_change(actor, "user.update", f"user:{user.username}", detail)
    db.session.commit()
    return user


def reset_password(actor, user_id: int, password: str, confirm: str | None = None) -> User:
    """Set a new password and lift any lockout; the password never reaches the audit log."""
    user = get_user(user_id)
    errors: dict[str, list[str]] = {}
    password = _password({"password": password}, errors)
    if confirm is not None and "password" not in errors and confirm != password:
        errors["confirm"] = [N_("The two passwords differ.")]
    _raise_if(errors, "the password has errors")
    user.set_password(password)
    user.failed_logins, user.locked_until = 0, None
    record_admin_change(actor, "user.password_reset", f"user:{user.username}", {})
    db.session.commit()
    return user


# ---------------------------------------------------------------- SLA policies

@dataclass
class PolicyRow:
    phase: str
    working: str
    dayoff: str
    updated_at: object = None
    stored: bool = False


def list_sla_policies() -> list[PolicyRow]:
    """Every phase with its durations: the stored row, else the legal default."""
    rows = {r.phase: PolicyRow(r.phase, r.working_duration, r.dayoff_duration, r.updated_at, True)
            for r in db.session.scalars(db.select(SlaPolicy))}
    for phase, (working, dayoff) in DEFAULT_POLICIES.items():
        rows.setdefault(phase, PolicyRow(phase, working, dayoff))
    order = list(DEFAULT_POLICIES)
    return sorted(rows.values(), key=lambda r: (order.index(r.phase) if r.phase in order
                                                else len(order), r.phase))


def get_sla_policy(phase: str) -> PolicyRow:
    for row in list_sla_policies():
        if row.phase == phase:
            return row
    raise NotFound("no SLA policy for this phase")


def update_sla_policy(actor, phase: str, working: str, dayoff: str,
                      apply_to_running: bool = False, *, new: bool = False) -> int | None:
    """Set a phase's durations (audited by set_policy); optionally recompute running cases.

    Returns how many pending deadlines were recomputed, or None when not asked to.
    """
    phase = (phase or "").strip()
    if new and phase and any(r.phase == phase for r in list_sla_policies()):
        raise ValidationFailed("the phase exists", {"phase": [N_("This phase already has a policy.")]})
    row = sla_settings.set_policy(phase, working or "", dayoff or "", actor=actor)
    if not apply_to_running:
        return None
    changed = recompute.recompute_for_phase(row.phase)
    record_admin_change(actor, "sla.recompute", row.phase, {"recomputed": changed})
    db.session.commit()
    return changed


# ---------------------------------------------------------------- calendar

def list_calendar_days(year: int | None = None) -> list[CalendarDay]:
    """The province's declared days (of one year, if given), in date order."""
    query = db.select(CalendarDay).order_by(CalendarDay.day)
    if year:
        query = query.where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
    return list(db.session.scalars(query))


def national_holidays(year: int, language: str = "vi") -> list[tuple[date, str]]:
    """The Vietnamese public holidays of a year (for reference next to the declared days)."""
    lang = "vi" if language == "vi" else "en_US"
    table = holidays.country_holidays("VN", years=year, language=lang)
    return sorted(table.items())


def declare_calendar_day(actor, day: date | None, kind: str, note: str | None = None) -> int:
    """Declare a day off or a make-up working day, then recompute deadlines started that day."""
    errors: dict[str, list[str]] = {}
    if day is None:
        errors["day"] = [MSG_REQUIRED]
    if kind not in CALENDAR_KINDS:
        errors["kind"] = [MSG_UNKNOWN_KIND]
    note = (note or "").strip() or None
    if note and len(note) > 200:
        errors["note"] = [MSG_TOO_LONG]
    if errors:
        raise ValidationFailed("the day has errors", errors)
    sla_settings.declare_day(day, kind, note, actor=actor)
    return _recompute_day(actor, day)


def remove_calendar_day(actor, day: date) -> int:
    """Withdraw a declaration, then recompute deadlines started that day."""
    sla_settings.remove_day(day, actor=actor)
    return _recompute_day(actor, day)


def _recompute_day(actor, day: date) -> int:
    changed = recompute.recompute_for_day(day)
    if changed:
        record_admin_change(actor, "calendar.recompute", day.isoformat(), {"recomputed": changed})
        db.session.commit()
    return changed


# ---------------------------------------------------------------- audit log

def audit_log_page(page: int = 1, per_page: int = 50, action: str | None = None) -> tuple[list[AuditLog], int]:
    """A page of the admin audit log, newest first, and the total count."""
    query = db.select(AuditLog)
    if action:
        query = query.where(AuditLog.action.like(action.replace("%", "") + "%"))
    total = db.session.scalar(db.select(db.func.count()).select_from(query.subquery()))
    page, per_page = max(page, 1), min(max(per_page, 1), 200)
    rows = db.session.scalars(query.order_by(AuditLog.at.desc(), AuditLog.id.desc())
                              .offset((page - 1) * per_page).limit(per_page))
    return list(rows), total


def audit_actions() -> list[str]:
    """The distinct action prefixes for the filter (agency, user, category, sla, calendar)."""
    return ["agency", "user", "category", "sla", "calendar"]


def today_local() -> date:
    """Today in Asia/Ho_Chi_Minh."""
    from caseapp.calendar.days import local_day
    return local_day(utcnow())
