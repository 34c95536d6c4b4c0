"""Categories and cases in GeoReport v2's field names; POSTed fields as the report form's.

The reporter's name, phone and e-mail are never part of anything built here.
"""
from __future__ import annotations

from datetime import datetime

from ...calendar.days import LOCAL_TZ
from ...models import Case, Category

# Services of one group are shown together by Open311 clients; a category not listed here is
# a group of its own (its name).
SERVICE_GROUPS = {
    "epidemic": "Y tế – dịch bệnh", "health": "Y tế – dịch bệnh",
    "weather": "Thiên tai – thời tiết", "disaster": "Thiên tai – thời tiết",
    "security": "An ninh – trật tự",
    "suggestion": "Góp ý – khác", "other": "Góp ý – khác",
}

# POSTed field → the report form's field, so a validation error names what the client sent
FIELD_NAMES = {"full_name": "first_name, last_name", "phone": "phone", "email": "email",
               "category": "service_code", "description": "description",
               "address": "address_string", "lat": "lat", "lon": "long", "urgent": "urgent",
               "consent_share_identity": "consent_share_identity", "district": "district"}

MAX_MEDIA_URL = 500


def w3c(moment: datetime | None) -> str | None:
    """ISO 8601 as the W3C note profiles it, in Vietnam's time: 2026-12-02T08:15:30+07:00."""
    if moment is None:
        return None
    return moment.astimezone(LOCAL_TZ).isoformat(timespec="seconds")


def service(category: Category) -> dict:
    """A category as an Open311 service (no extra attributes: metadata is false)."""
    return {"service_code": category.code, "service_name": category.name,
            "description": category.name_en or category.name, "metadata": False,
            "type": "realtime", "keywords": ", ".join(filter(None, [category.code,
                                                                   category.name_en])),
            "group": SERVICE_GROUPS.get(category.code, category.name)}


def service_definition(category: Category) -> dict:
    """The service's definition: no attributes beyond the standard fields."""
    return {"service_code": category.code, "attributes": []}


def open311_status(case: Case) -> str:
    """open while the report is being worked on; answered and not-accepted reports are closed."""
    return "open" if case.status == "open" else "closed"


def status_notes(case: Case) -> str:
    """The current phase in the words the case pages use; for a finished report, its outcome."""
    from ...i18n import label_for
    if case.status == "open":
        return label_for("phase", case.phase) if case.phase else label_for("status", "open")
    text = label_for("status", case.status)
    if case.status == "rejected" and case.reject_reason:
        text = f"{text}: {label_for('reject_reason', case.reject_reason)}"
    return text


def agency_responsible(case: Case) -> str:
    """Who holds the report now: the handling agency, else the provincial portal."""
    from ...i18n import QUEUE_LABELS, localname
    if case.current_agency is not None:
        return localname(case.current_agency)
    return str(QUEUE_LABELS["portal"])


def service_request(case: Case, expected: datetime | None, notice: str | None) -> dict:
    """A case as the spec's request: public facts only, never the reporter's identity. A report
    not accepted (spam, duplicates…) keeps its description to itself."""
    return {
        "service_request_id": case.id,
        "status": open311_status(case),
        "status_notes": status_notes(case),
        "service_name": case.category.name,
        "service_code": case.category.code,
        "description": None if case.status == "rejected" else case.description,
        "agency_responsible": agency_responsible(case),
        "service_notice": notice,
        "requested_datetime": w3c(case.created_at),
        "updated_datetime": w3c(case.updated_at),
        "expected_datetime": w3c(expected) if case.status == "open" else None,
        "address": case.address,
        "address_id": None,
        "zipcode": None,
        "lat": case.lat,
        "long": case.lon,
        "media_url": None,
    }


def report_from_post(form) -> dict:
    """The report a POST describes, in the report form's fields (submission validates it)."""
    def text(name):
        value = form.get(name)
        return value.strip() if isinstance(value, str) and value.strip() else None

    # a Vietnamese full name puts the family name (last_name) first: Nguyễn + Văn An
    names = [part for part in (text("last_name"), text("first_name")) if part]
    description = text("description")
    media_url = text("media_url")
    if media_url and description:
        description = f"{description}\n\nẢnh/tệp đính kèm: {media_url}"
    report = {"full_name": " ".join(names) or None, "phone": text("phone"), "email": text("email"),
              "category": text("service_code"), "description": description,
              "address": text("address_string"), "lat": text("lat"), "lon": text("long")}
    if text("district"):
        report["district"] = text("district")
    return report


def location_problems(form) -> dict[str, list[str]]:
    """The spec requires a location: lat and long, or address_string (address_id is not kept
    by this portal)."""
    def given(name):
        value = form.get(name)
        return isinstance(value, str) and value.strip() != ""

    if given("lat") or given("long") or given("address_string"):
        return {}
    if given("address_id"):
        return {"address_id": ["not supported here: send lat and long, or address_string"]}
    return {"lat": ["a location is required: lat and long, or address_string"]}


def media_url_problems(form) -> dict[str, list[str]]:
    """media_url, when given, is a web address (kept in the description, never fetched)."""
    value = (form.get("media_url") or "").strip()
    if not value:
        return {}
    if not value.lower().startswith(("http://", "https://")) or len(value) > MAX_MEDIA_URL \
            or any(char.isspace() for char in value):
        return {"media_url": [f"must be an http(s) address of at most {MAX_MEDIA_URL} characters"]}
    return {}
