"""The domain rules for what citizens and staff may submit."""
from __future__ import annotations

import re
import unicodedata

from ...extensions import db
from ...models import Agency, Category, District
from ..errors import ValidationFailed

_PHONE_SEPARATORS = re.compile(r"[\s.\-()]")
_MOBILE = re.compile(r"^0(3|5|7|8|9)\d{8}$")
_LANDLINE = re.compile(r"^02\d{9}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

LIMITS = {"full_name": (2, 120), "description": (10, 5000), "address": (0, 300),
          "note": (0, 2000), "result": (5, 5000), "return_reason": (5, 2000),
          "public_response": (5, 5000)}
MULTI_LINE = frozenset({"description", "note", "result", "return_reason", "public_response"})
MSG_INVISIBLE = "contains invisible or control characters"

# Unicode categories a person does not type: controls, format characters (zero-width spaces,
# bidirectional overrides, BOM, word joiner…), surrogates, private use, unassigned code points.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
# except the joiners, which emoji sequences and some scripts need (alone they are still invisible)
_JOINERS = frozenset("\u200c\u200d")
_LINE_BREAKS = frozenset("\t\n\r")


def normalise_phone(raw: str | None) -> str | None:
    """Vietnamese mobile (10 digits) or landline (11 digits), +84 accepted; None when invalid."""
    if not raw:
        return None
    phone = _PHONE_SEPARATORS.sub("", str(raw))
    if phone.startswith("+84"):
        phone = "0" + phone[3:]
    elif phone.startswith("84") and len(phone) in (11, 12):
        phone = "0" + phone[2:]
    return phone if _MOBILE.match(phone) or _LANDLINE.match(phone) else None


def has_refused_characters(value: str, multi_line: bool = False) -> bool:
    """Whether text holds characters a person does not type (tab and line breaks only in
    multi-line text), so hidden or reordered text never reaches the database or a reader."""
    for char in value:
        if char in _JOINERS or (multi_line and char in _LINE_BREAKS):
            continue
        if unicodedata.category(char) in _REFUSED_CATEGORIES:
            return True
    return False


def is_blank(value: str) -> bool:
    """Whether text shows nothing: only whitespace and joiners."""
    return all(char.isspace() or char in _JOINERS for char in value)


def text_field(data: dict, name: str, errors: dict, required: bool = True) -> str | None:
    """Trimmed visible text within the field's length limits, or an error recorded."""
    value = data.get(name)
    if value is None or (isinstance(value, str) and is_blank(value)):
        if required:
            errors[name] = ["required"]
        return None
    if not isinstance(value, str):
        errors[name] = ["must be text"]
        return None
    value = value.strip()
    if has_refused_characters(value, multi_line=name in MULTI_LINE):
        errors[name] = [MSG_INVISIBLE]
        return None
    low, high = LIMITS.get(name, (0, 1000))
    if len(value) < low:
        errors[name] = [f"at least {low} characters"]
    elif len(value) > high:
        errors[name] = [f"at most {high} characters"]
    return value


def parse_boolean(value) -> bool:
    """JSON booleans and the usual form spellings; ValueError for anything else."""
    if isinstance(value, bool):
        return value
    if value in (None, "", 0, "0", "false", "False", "off", "n", "no"):
        return False
    if value in (1, "1", "true", "True", "on", "y", "yes"):
        return True
    raise ValueError("must be true or false")


def boolean(data: dict, name: str, errors: dict) -> bool:
    """A boolean field of a submission, or an error recorded."""
    try:
        return parse_boolean(data.get(name, False))
    except ValueError as exc:
        errors[name] = [str(exc)]
        return False


def coordinate(data: dict, name: str, low: float, high: float, errors: dict) -> float | None:
    """An optional latitude or longitude within range."""
    value = data.get(name)
    if value in (None, ""):
        return None
    if isinstance(value, bool):  # float(True) is 1.0: a JSON true is not a coordinate
        errors[name] = ["must be a number"]
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        errors[name] = ["must be a number"]
        return None
    if not low <= number <= high:  # NaN fails too
        errors[name] = [f"must be between {low} and {high}"]
        return None
    return number


def clean_report(data: dict) -> dict:
    """Check a citizen's report; every problem is reported at once, per field."""
    if not isinstance(data, dict):
        raise ValidationFailed("the body must be a JSON object")
    errors: dict[str, list[str]] = {}
    clean = {"full_name": text_field(data, "full_name", errors),
             "description": text_field(data, "description", errors),
             "address": text_field(data, "address", errors, required=False)}
    phone_raw = data.get("phone")
    clean["phone"] = normalise_phone(phone_raw if isinstance(phone_raw, str) else None)
    if clean["phone"] is None:
        errors["phone"] = ["required" if not phone_raw else "not a Vietnamese phone number"]
    email = data.get("email")
    if email not in (None, ""):
        if not isinstance(email, str) or len(email) > 200 or not _EMAIL.match(email.strip()) \
                or has_refused_characters(email.strip()):
            errors["email"] = ["not a valid e-mail address"]
        else:
            clean["email"] = email.strip()
    clean.setdefault("email", None)
    code = data.get("category")
    category = None
    if not code or not isinstance(code, str):
        errors["category"] = ["required"]
    else:
        category = db.session.scalars(db.select(Category).where(
            Category.code == code, Category.active.is_(True))).first()
        if category is None:
            errors["category"] = ["unknown category"]
    clean["category"] = category
    clean["district"] = _district(data.get("district"), errors)
    clean["lat"] = coordinate(data, "lat", -90, 90, errors)
    clean["lon"] = coordinate(data, "lon", -180, 180, errors)
    if (clean["lat"] is None) != (clean["lon"] is None) and "lat" not in errors and "lon" not in errors:
        errors["lat" if clean["lat"] is None else "lon"] = ["give both latitude and longitude"]
    clean["urgent"] = boolean(data, "urgent", errors)
    clean["consent_share_identity"] = boolean(data, "consent_share_identity", errors)
    if errors:
        raise ValidationFailed("the report has errors", errors)
    return clean


def _district(code, errors: dict) -> District | None:
    """Optional: many citizens do not know which district a place belongs to."""
    if code in (None, ""):
        return None
    district = None
    if isinstance(code, str):
        district = db.session.scalars(db.select(District).where(
            District.code == code, District.active.is_(True))).first()
    if district is None:
        errors["district"] = ["unknown district"]
    return district


def choice(data: dict, name: str, allowed, errors: dict) -> str | None:
    """One of the allowed values, or an error recorded."""
    value = data.get(name)
    if value in (None, ""):
        errors[name] = ["required"]
        return None
    if value not in allowed:
        errors[name] = [f"must be one of: {', '.join(allowed)}"]
        return None
    return value


def active_agency(code: str) -> Agency | None:
    """The active agency with this code, looked up once per session."""
    cache = db.session.info.setdefault("active_agency_by_code", {})
    if code not in cache:
        cache[code] = db.session.scalars(db.select(Agency).where(
            Agency.code == code, Agency.active.is_(True))).first()
    return cache[code]
