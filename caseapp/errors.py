"""Error handlers: JSON for the API, friendly pages for people, never a stack trace."""
from __future__ import annotations

import logging

from flask import jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .extensions import db
from .services.errors import ServiceError

log = logging.getLogger(__name__)


def wants_json() -> bool:
    """API paths and clients asking for JSON get JSON errors."""
    return request.path.startswith("/api/") or request.path == "/healthz" or (
        request.accept_mimetypes.best == "application/json")


def error_response(status: int, code: str, message: str, fields: dict | None = None):
    """One error shape for every failure."""
    if wants_json():
        body = {"error": {"code": code, "message": message}}
        if fields:
            body["error"]["fields"] = fields
        return jsonify(body), status
    return render_template("error.html", status=status, code=code, message=message,
                           fields=fields or {}), status


def register_error_handlers(app) -> None:
    """Map service errors and HTTP errors to the shared shape."""

    @app.errorhandler(ServiceError)
    def _service_error(exc: ServiceError):
        db.session.rollback()
        return error_response(exc.status, exc.code, exc.message, exc.fields)

    @app.errorhandler(CSRFError)
    def _csrf_error(exc):
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
