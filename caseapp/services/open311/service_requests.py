"""Service requests as Open311 clients read them (filters, the 90-day window, at most 1,000)
and post them (an ordinary report through the submission service)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from ...calendar.days import LOCAL_TZ
from ...extensions import db
from ...models import Case, Category, Deadline, Open311Key, WorkItem, utcnow
from ..cases.submission import get_by_tracking_code, submit_report
from ..cases.validation import clean_report
from ..errors import NotFound, ServiceError, ValidationFailed
from .mapping import (FIELD_NAMES, location_problems, media_url_problems, report_from_post,
                      service_request)

WINDOW = timedelta(days=90)  # the spec: no dates → the last 90 days; a range spans at most 90
LIMIT = 1000                 # the spec: at most 1,000 requests per answer
STATUSES = ("open", "closed")
CASE_STATUSES = {"open": ("open",), "closed": ("closed", "rejected")}
UNENCODED_PLUS = re.compile(r"^(\S+T\S*\d) (\d{2}(?::?\d{2})?)$")  # "…T00:00:00 07:00"


class BadRequest(ServiceError):
    """The spec's 400: a parameter the server cannot use."""
    status = 400
    code = "bad_request"


@dataclass(frozen=True)
class RequestFilters:
    ids: tuple[int, ...] = ()
    service_codes: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    statuses: tuple[str, ...] = ()


def is_request_id(text: str) -> bool:
    """ASCII digits that fit the database's integer ids."""
    return text.isascii() and text.isdigit() and len(text) < 19


def _list(raw) -> list[str]:
    return [part.strip() for part in (raw or "").split(",") if part.strip()]


def parse_moment(raw: str, name: str) -> datetime:
    """A W3C date-time (any offset, Z for UTC); without an offset it is Vietnam's time. A "+"
    sent unencoded in the query string arrives as a space: 00:00:00 07:00 means +07:00."""
    try:
        moment = datetime.fromisoformat(UNENCODED_PLUS.sub(r"\1+\2", raw.strip()))
    except ValueError:
        raise BadRequest(f"{name} must be a W3C date-time such as 2026-12-01T00:00:00+07:00",
                         {name: ["not a W3C date-time"]}) from None
    return moment.replace(tzinfo=LOCAL_TZ) if moment.tzinfo is None else moment


def parse_filters(args, now: datetime | None = None) -> RequestFilters:
    """The query of GET requests; service_request_id overrides every other filter."""
    ids = _list(args.get("service_request_id"))
    if ids:
        if not all(is_request_id(part) for part in ids) or len(ids) > LIMIT:
            raise BadRequest(f"service_request_id must be at most {LIMIT} numbers separated by "
                             "commas", {"service_request_id": ["numbers separated by commas"]})
        return RequestFilters(ids=tuple(int(part) for part in ids))
    statuses = tuple(_list(args.get("status")))
    unknown = [s for s in statuses if s not in STATUSES]
    if unknown:
        raise BadRequest("status must be open or closed (comma separated)",
                         {"status": ["open or closed"]})
    start, end = args.get("start_date"), args.get("end_date")
    start = parse_moment(start, "start_date") if start else None
    end = parse_moment(end, "end_date") if end else None
    now = now or utcnow()
    try:
        if start is None and end is None:
            end, start = now, now - WINDOW
        elif start is None:
            start = end - WINDOW
        elif end is None:
            end = min(start + WINDOW, max(now, start))
    except OverflowError:  # a date at the very edge of the calendar
        raise BadRequest("start_date and end_date must be real dates",
                         {"start_date": ["out of range"]}) from None
    if end < start:
        raise BadRequest("end_date is before start_date", {"end_date": ["before start_date"]})
    if end - start > WINDOW:
        raise BadRequest("start_date and end_date may not span more than 90 days",
                         {"end_date": ["at most 90 days after start_date"]})
    return RequestFilters(service_codes=tuple(_list(args.get("service_code"))), start=start,
                          end=end, statuses=statuses)


def find_requests(filters: RequestFilters, notice: str | None) -> list[dict]:
    """The matching reports, newest first, at most LIMIT; one query for the cases and one for
    their current deadlines."""
    query = db.select(Case)
    if filters.ids:
        query = query.where(Case.id.in_(filters.ids))
    else:
        query = query.where(Case.created_at >= filters.start, Case.created_at <= filters.end)
        if filters.service_codes:
            query = query.join(Category, Case.category_id == Category.id).where(
                Category.code.in_(filters.service_codes))
        # always on status too, so (status, created_at) is the index that answers
        statuses = filters.statuses or STATUSES
        query = query.where(Case.status.in_(
            [s for status in statuses for s in CASE_STATUSES[status]]))
    cases = list(db.session.scalars(query.order_by(Case.created_at.desc(), Case.id.desc())
                                    .limit(LIMIT)).unique())
    due = expected_datetimes([case.id for case in cases])
    return [service_request(case, due.get(case.id), notice) for case in cases]


def expected_datetimes(case_ids: list[int]) -> dict[int, datetime]:
    """Each case's deadline for the step it is in: the step's own deadline (a return window is
    not one) while its task is open, passed or not — a late report keeps its due time."""
    if not case_ids:
        return {}
    rows = db.session.execute(
        db.select(Deadline.case_id, db.func.min(Deadline.due_at))
        .outerjoin(WorkItem, WorkItem.id == Deadline.attached_task_id)
        .where(Deadline.case_id.in_(case_ids), Deadline.attached_to == Deadline.phase,
               db.or_(Deadline.state == "pending",
                      db.and_(Deadline.state == "fired", WorkItem.state == "open")))
        .group_by(Deadline.case_id))
    return {case_id: due for case_id, due in rows}


def get_request(request_id: str, notice: str | None) -> dict:
    """One report by its service_request_id; 404 when there is none."""
    if not is_request_id(request_id):
        raise NotFound(f"service_request_id {request_id} was not found")
    found = find_requests(RequestFilters(ids=(int(request_id),)), notice)
    if not found:
        raise NotFound(f"service_request_id {request_id} was not found")
    return found[0]


def request_id_for_token(token: str) -> dict:
    """A token is a report's tracking code: the service_request_id it stands for."""
    case = get_by_tracking_code(token)
    return {"service_request_id": case.id, "token": case.tracking_code}


def post_request(key: Open311Key, form, idempotency_key: str | None) -> tuple[Case, bool]:
    """A report posted by an outside system: the spec's location rule, then the same
    submission as the report form (validation, idempotency per key, process, deadlines)."""
    report = report_from_post(form)
    problems = {**location_problems(form), **media_url_problems(form)}
    try:
        clean_report(report)  # the report form's rules, reported with the location rule at once
    except ValidationFailed as exc:
        problems.update({FIELD_NAMES.get(name, name): messages
                         for name, messages in exc.fields.items()})
    if problems:
        raise BadRequest("the service request has errors", problems)
    case, created = submit_report(report, idempotency_key, client=f"open311-key:{key.id}")
    db.session.execute(db.update(Open311Key).where(Open311Key.id == key.id)
                       .values(last_used_at=utcnow()))
    db.session.commit()
    return case, created


def current_service_notice() -> str | None:
    """The emergency announcement active now (the newest), as the spec's service_notice."""
    from ..announcements import active_announcements
    active = active_announcements()
    if not active:
        return None
    newest = active[0]
    return f"{newest['title']} ({newest['area']}): {newest['body']}"
