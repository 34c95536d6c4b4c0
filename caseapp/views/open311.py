"""Open311 GeoReport v2 at /open311/v2: services and service requests for other systems.

Every resource ends in .xml (the spec's required format) or .json; errors are the spec's list
of {code, description} with 400, 403 or 404. Reading is public; posting needs an api_key issued
by an admin. A posted report is an ordinary report (same validation, limits, deadlines).
"""
from __future__ import annotations

from flask import Blueprint, Response, current_app, request, url_for
from werkzeug.exceptions import HTTPException

from ..errors import render_errors_under
from ..extensions import csrf, db, limiter
from ..services.errors import NotFound, ServiceError
from ..services.open311.keys import key_for
from ..services.open311.rendering import CONTENT_TYPES, FORMATS, body, errors_value
from ..services.open311.service_requests import (current_service_notice, find_requests,
                                                 get_request, parse_filters, post_request,
                                                 request_id_for_token)
from ..services.open311.services import get_service_definition, list_services

bp = Blueprint("open311", __name__, url_prefix="/open311/v2")
csrf.exempt(bp)

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-12-02T00:00:00+07:00"  # when this endpoint's behaviour last changed
DEFAULT_JURISDICTION = "camau.gov.vn"
READ_LIMIT = "300 per minute"
SUBMIT_LIMIT = "60 per minute"  # the same as the report form and POST /api/v1/reports


def jurisdiction_id() -> str:
    """The one jurisdiction this endpoint serves (OPEN311_JURISDICTION_ID)."""
    return current_app.config.get("OPEN311_JURISDICTION_ID") or DEFAULT_JURISDICTION


def respond(fmt: str, root: str, value, status: int = 200) -> Response:
    """A body in the requested format, UTF-8."""
    return Response(body(fmt, root, value), status=status, content_type=CONTENT_TYPES[fmt])


def requested_format() -> str:
    """The format the path asks for; errors about an unknown format come back in XML."""
    fmt = (request.view_args or {}).get("fmt") or request.path.rpartition(".")[2]
    return fmt if fmt in FORMATS else "xml"


def error(status: int, messages: list[str]) -> Response:
    return respond(requested_format(), "errors", errors_value(status, messages), status)


# What fails before these views run (an unknown method, control characters) keeps the format too.
render_errors_under(bp.url_prefix + "/", lambda status, message: error(status, [message]))


def checked_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise NotFound("the format must be .xml or .json")
    return fmt


def parameter(name: str) -> str | None:
    """A parameter from the form (POST) or the query string."""
    return request.form.get(name) or request.args.get(name)


@bp.before_request
def _one_jurisdiction():
    """jurisdiction_id may be sent; another jurisdiction than this one is the spec's 404."""
    given = parameter("jurisdiction_id")
    if given and given.strip() != jurisdiction_id():
        raise NotFound(f"jurisdiction_id {given.strip()} was not found; this endpoint serves "
                       f"{jurisdiction_id()}")


@bp.errorhandler(ServiceError)
def _service_error(exc: ServiceError):
    db.session.rollback()
    status = 400 if exc.status == 422 else exc.status  # the spec's validation error is a 400
    messages = [f"{field}: {'; '.join(problems)}" for field, problems in exc.fields.items()]
    return error(status, messages or [exc.message])


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    return error(exc.code or 500, [exc.description or exc.name])


@bp.get("/")
@bp.get("/discovery.<fmt>")
@limiter.limit(READ_LIMIT)
def discovery(fmt: str = "xml"):
    checked_format(fmt)
    root = url_for(".discovery", _external=True).rstrip("/")
    value = {"changeset": CHANGESET,
             "contact": current_app.config.get("OPEN311_CONTACT")
             or "Cổng Thông tin điện tử tỉnh Cà Mau",
             "key_service": current_app.config.get("OPEN311_KEY_SERVICE")
             or "API keys are issued by the portal's administrators",
             "endpoints": [{"specification": SPECIFICATION, "url": root, "changeset": CHANGESET,
                            "type": "production",
                            "formats": ["text/xml", "application/json"]}]}
    return respond(fmt, "discovery", value)


@bp.get("/services.<fmt>")
@limiter.limit(READ_LIMIT)
def services(fmt: str):
    return respond(checked_format(fmt), "services", list_services())


@bp.get("/services/<code>.<fmt>")
@limiter.limit(READ_LIMIT)
def service_definition(code: str, fmt: str):
    return respond(checked_format(fmt), "service_definition", get_service_definition(code))


@bp.get("/requests.<fmt>")
@limiter.limit(READ_LIMIT)
def requests_list(fmt: str):
    checked_format(fmt)
    found = find_requests(parse_filters(request.args), current_service_notice())
    return respond(fmt, "service_requests", found)


@bp.get("/requests/<request_id>.<fmt>")
@limiter.limit(READ_LIMIT)
def request_detail(request_id: str, fmt: str):
    checked_format(fmt)
    return respond(fmt, "service_requests", [get_request(request_id, current_service_notice())])


@bp.post("/requests.<fmt>")
@limiter.limit(SUBMIT_LIMIT)
def request_create(fmt: str):
    checked_format(fmt)
    key = key_for(parameter("api_key"))
    case, created = post_request(key, request.form, request.headers.get("Idempotency-Key"))
    value = [{"service_request_id": case.id, "token": case.tracking_code,
              "service_notice": current_service_notice(),
              "account_id": parameter("account_id")}]
    response = respond(fmt, "service_requests", value, 201)
    response.headers["Location"] = url_for(".request_detail", request_id=case.id, fmt=fmt)
    if not created:
        response.headers["Idempotent-Replayed"] = "true"
    return response


@bp.get("/tokens/<token>.<fmt>")
@limiter.limit(READ_LIMIT)
def token(token: str, fmt: str):
    checked_format(fmt)
    return respond(fmt, "service_requests", [request_id_for_token(token)])


@bp.route("/<path:anything>", methods=["GET", "POST"])
def unknown(anything: str):
    raise NotFound("no such Open311 resource; see discovery.xml")

