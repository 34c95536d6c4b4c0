"""Reference data admins maintain: handling agencies, report categories and districts.

Each is a permanent unique code plus editable fields, created and updated through one path.
Every change is validated (ValidationFailed with per-field messages), recorded with
record_admin_change, and committed.
"""
from __future__ import annotations

import re

from ...extensions import db
from ...models import Agency, Category, District
from ..cases.audit import record_admin_change
from ..errors import NotFound
from .validation import MSG_REQUIRED, MSG_UNKNOWN_KIND, N_, changes, commit_unique, flag, raise_if, text

AGENCY_KINDS = ("department", "district", "commune", "other")
CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_]{1,39}$")

MSG_CODE_FORMAT = N_("Use 2–40 lowercase letters, digits or _ (starting with a letter or digit).")
MSG_CODE_TAKEN = N_("This code is already in use.")
MSG_SORT = N_("Enter a whole number between -10000 and 10000.")


# ---------------------------------------------------------------- the shared create/update path

def _code(data: dict, errors: dict) -> str | None:
    code = text(data, "code", errors, max_len=40, required=True)
    if code is None or "code" in errors:
        return code
    code = code.lower()
    if not CODE_PATTERN.match(code):
        errors["code"] = [MSG_CODE_FORMAT]
    return code


def _create_coded(actor, model, kind: str, data: dict, fields_of):
    """Create an agency or category: a permanent unique code plus its editable fields."""
    errors: dict[str, list[str]] = {}
    code = _code(data, errors)
    fields = fields_of(data, errors)
    if code and "code" not in errors and db.session.scalar(
            db.select(model.id).where(db.func.lower(model.code) == code)) is not None:
        errors["code"] = [MSG_CODE_TAKEN]
    raise_if(errors, f"the {kind} has errors")
    row = model(code=code, **fields)
    db.session.add(row)
    record_admin_change(actor, f"{kind}.create", f"{kind}:{code}", {"after": dict(fields, code=code)})
    commit_unique("code", MSG_CODE_TAKEN)
    return row


def _update_coded(actor, row, kind: str, data: dict, fields_of):
    """Change the editable fields of an agency or category; only real changes are audited."""
    errors: dict[str, list[str]] = {}
    fields = fields_of(data, errors)
    raise_if(errors, f"the {kind} has errors")
    detail = changes(row, fields)
    if detail["after"]:
        record_admin_change(actor, f"{kind}.update", f"{kind}:{row.code}", detail)
    db.session.commit()
    return row


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
    return {"name": text(data, "name", errors, max_len=200, required=True),
            "name_en": text(data, "name_en", errors, max_len=200),
            "kind": kind, "active": flag(data, "active")}


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
    return {"name": text(data, "name", errors, max_len=120, required=True),
            "name_en": text(data, "name_en", errors, max_len=120),
            "sort": sort, "active": flag(data, "active")}


def create_category(actor, data: dict) -> Category:
    """A new report topic offered to citizens."""
    return _create_coded(actor, Category, "category", data, _category_fields)


def update_category(actor, category_id: int, data: dict) -> Category:
    """Rename, reorder, (de)activate a category; the code stays (cases refer to it)."""
    return _update_coded(actor, get_category(category_id), "category", data, _category_fields)


# ---------------------------------------------------------------- districts

def list_districts() -> list[District]:
    return list(db.session.scalars(db.select(District).order_by(District.sort, District.code)))


def get_district(district_id: int) -> District:
    district = db.session.get(District, district_id)
    if district is None:
        raise NotFound("no such district")
    return district


def create_district(actor, data: dict) -> District:
    """A district reports can name (same fields as a category: name, English name, order)."""
    return _create_coded(actor, District, "district", data, _category_fields)


def update_district(actor, district_id: int, data: dict) -> District:
    """Rename, reorder, (de)activate a district; the code stays (cases refer to it)."""
    return _update_coded(actor, get_district(district_id), "district", data, _category_fields)
