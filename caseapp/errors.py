"""Error handlers: JSON for the API, friendly pages for people, never a stack trace."""
from __future__ import annotations

import logging
import re
from collections.abc import Callable

from urllib.parse import urlsplit

from flask import Response, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .extensions import db
from .services.errors import ServiceError

log = logging.getLogger(__name__)


def wants_json() -> bool:
    """API paths and clients asking for JSON get JSON errors."""
    return request.path.startswith("/api/") or request.path == "/healthz" or (
        request.accept_mimetypes.best == "application/json")


# Parts of the site bound to an outside format (Open311's error list) render their own errors,
# also for what fails before their views run (routing, the control-character check).
_renderers_by_prefix: list[tuple[str, Callable[[int, str], Response]]] = []


def render_errors_under(prefix: str, renderer: Callable[[int, str], Response]) -> None:
    """A path prefix whose errors must follow another specification's format."""
    _renderers_by_prefix.append((prefix, renderer))


def error_response(status: int, code: str, message: str, fields: dict | None = None):
    """One error shape for every failure (or the format the path's specification requires)."""
    for prefix, renderer in _renderers_by_prefix:
        if request.path.startswith(prefix):
            return renderer(status, message)
    if wants_json():
        body = {"error": {"code": code, "message": message}}
        if fields:
            body["error"]["fields"] = fields
        return jsonify(body), status
    return render_template("error.html", status=status, code=code, message=message,
                           fields=fields or {}), status


STAFF_BLUEPRINTS = ("work", "cases", "admin", "leader")

# Control characters (NUL included: PostgreSQL refuses it in text) in the path and query string;
# form values may also hold tabs and line breaks (a textarea sends CR LF).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROL_IN_FORM = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _has_control(values, pattern) -> bool:
    return any(pattern.search(text) for pair in values.items(multi=True) for text in pair)


def refuse_control_characters():
    """A path, query string or form with control characters is refused before any view turns
    it into a database query (NUL makes PostgreSQL fail); JSON bodies are checked by the API."""
    if _CONTROL.search(request.path) or _has_control(request.args, _CONTROL) \
            or (request.method != "GET" and _has_control(request.form, _CONTROL_IN_FORM)):
        message = "the address or the form contains control characters"
        return error_response(400, "bad_request",
                              message if wants_json() else gettext("The address or the form "
                                                                   "contains control characters."))
    return None


def _staff_session_lost() -> bool:
    """A staff form sent by someone whose session is gone (expired, cleared or tampered with)."""
    staff_page = request.blueprint in STAFF_BLUEPRINTS or request.endpoint == "auth.logout"
    return staff_page and not current_user.is_authenticated


def _page_before() -> str | None:
    """The local page the form was sent from, to come back to after signing in."""
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc != request.host or not referrer.path.startswith("/") \
            or referrer.path.startswith("//"):
        return None
    return referrer.path + (f"?{referrer.query}" if referrer.query else "")


def register_error_handlers(app) -> None:
    """Map service errors and HTTP errors to the shared shape."""

    @app.errorhandler(ServiceError)
    def _service_error(exc: ServiceError):
        db.session.rollback()
        return error_response(exc.status, exc.code, exc.message, exc.fields)

    @app.errorhandler(CSRFError)
    def _csrf_error(exc):
        if not wants_json() and _staff_session_lost():
            # The form's token lived in a session that has expired: sign in again, then go on.
            flash(gettext("Please sign in to open this page."), "warning")
            return redirect(url_for("auth.login", next=_page_before()))
        return error_response(400, "csrf", "the form expired; reload the page and try again")

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        code = (exc.name or "error").lower().replace(" ", "_")
        return error_response(exc.code or 500, code, exc.description or exc.name)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        db.session.rollback()
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "something went wrong; it has been logged")
