"""Staff accounts: listing with filters, creating, updating and resetting passwords.

Every change is validated (ValidationFailed with per-field messages), recorded with
record_admin_change (never with a password), and committed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ...extensions import db
from ...models import AGENCY_ROLES, ROLES, Agency, User
from ..accounts.auth import clear_failures
from ..cases.audit import record_admin_change
from ..errors import NotFound
from .validation import MSG_REQUIRED, MSG_TOO_LONG, N_, changes, commit_unique, flag, raise_if, text

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,79}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_PATTERN = re.compile(r"^\+?[0-9 .-]{6,20}$")
MIN_PASSWORD = 8

MSG_USERNAME_FORMAT = N_("Use 3–80 lowercase letters, digits, '.', '_' or '-'.")
MSG_USERNAME_TAKEN = N_("This username is already in use.")
MSG_UNKNOWN_ROLE = N_("Unknown role.")
MSG_AGENCY_REQUIRED = N_("Agency officers and leaders must belong to an agency.")
MSG_AGENCY_FORBIDDEN = N_("Only agency officers and leaders belong to an agency.")
MSG_UNKNOWN_AGENCY = N_("Unknown or inactive agency.")
MSG_EMAIL = N_("Not a valid e-mail address.")
MSG_PHONE = N_("Not a valid phone number.")
MSG_PASSWORD_SHORT = N_("The password must have at least 8 characters.")
MSG_SELF_DEACTIVATE = N_("You cannot deactivate your own account.")
MSG_SELF_DEMOTE = N_("You cannot remove the administrator role from your own account.")


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
    email = text(data, "email", errors, max_len=200)
    if email and "email" not in errors and not EMAIL_PATTERN.match(email):
        errors["email"] = [MSG_EMAIL]
    phone = text(data, "phone", errors, max_len=30)
    if phone and "phone" not in errors and not PHONE_PATTERN.match(phone):
        errors["phone"] = [MSG_PHONE]
    return {"full_name": text(data, "full_name", errors, max_len=200) or "",
            "role": role, "agency_id": agency_id, "email": email, "phone": phone,
            "active": flag(data, "active")}


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
    username = text(data, "username", errors, max_len=80, required=True)
    if username and "username" not in errors:
        username = username.lower()
        if not USERNAME_PATTERN.match(username):
            errors["username"] = [MSG_USERNAME_FORMAT]
        elif db.session.scalar(db.select(User.id).where(
                db.func.lower(User.username) == username)) is not None:
            errors["username"] = [MSG_USERNAME_TAKEN]
    fields = _user_fields(data, errors)
    password = _password(data, errors)
    raise_if(errors, "the user has errors")
    user = User(username=username, **fields)
    user.set_password(password)
    db.session.add(user)
    record_admin_change(actor, "user.create", f"user:{username}", {"after": dict(
        fields, username=username, agency=_agency_code(fields["agency_id"]))})
    commit_unique("username", MSG_USERNAME_TAKEN)
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
    raise_if(errors, "the user has errors")
    old_agency = user.agency_id
    detail = changes(user, fields)
    if "agency_id" in detail["after"]:
        detail["before"]["agency"] = _agency_code(old_agency)
        detail["after"]["agency"] = _agency_code(user.agency_id)
        if user.agency_id != old_agency:
            user.agency = db.session.get(Agency, user.agency_id) if user.agency_id else None
    if detail["after"]:
        record_admin_change(actor, "user.update", f"user:{user.username}", detail)
    if detail["after"].get("active") is False:
        user.end_sessions()  # a disabled account is signed out at once, tokens too
    db.session.commit()
    return user


def reset_password(actor, user_id: int, password: str, confirm: str | None = None) -> User:
    """Set a new password (which ends the user's sessions and API tokens) and lift any lockout;
    the password never reaches the audit log."""
    user = get_user(user_id)
    errors: dict[str, list[str]] = {}
    password = _password({"password": password}, errors)
    if confirm is not None and "password" not in errors and confirm != password:
        errors["confirm"] = [N_("The two passwords differ.")]
    raise_if(errors, "the password has errors")
    user.set_password(password)
    clear_failures(user.username)
    record_admin_change(actor, "user.password_reset", f"user:{user.username}", {})
    db.session.commit()
    return user
