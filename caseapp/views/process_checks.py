"""JSON endpoints the modeler calls while a designer draws: the check of a draft and the diffs.

POSTs carry the page's CSRF token in the X-CSRFToken header (Flask-WTF's CSRFProtect).
"""
from flask import Blueprint, jsonify, request
from flask_login import current_user, login_required

from ..services.errors import ValidationFailed
from ..services.process_design import designer

bp = Blueprint("process_checks", __name__, url_prefix="/process")


def _too_large():
    return jsonify({"error": {"code": "too_large", "message": (
        f"the diagram is larger than {designer.MAX_DRAFT_BYTES // (1024 * 1024)} MB")}}), 413


def _body() -> dict:
    """The JSON object sent, with its `xml` text; anything else is a 422."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationFailed("the body must be a JSON object with the diagram in 'xml'",
                               {"xml": ["required"]})
    if not isinstance(body.get("xml"), str) or not body["xml"].strip():
        raise ValidationFailed("'xml' must be the diagram's BPMN XML text", {"xml": ["required"]})
    return body


def _oversized(xml: str | None = None) -> bool:
    """The request (JSON escaping leaves room) or the diagram itself is over the limit."""
    if xml is not None:
        return len(xml.encode("utf-8")) > designer.MAX_DRAFT_BYTES
    return (request.content_length or 0) > designer.MAX_DRAFT_BYTES * 3 // 2


def _refused(exc: ValidationFailed):
    return jsonify({"error": {"code": exc.code, "message": exc.message,
                              "fields": exc.fields}}), 422


@bp.post("/check")
@login_required
def check():
    """Every problem of a draft, for the live check while drawing."""
    designer.require_designer(current_user)
    if _oversized():
        return _too_large()
    try:
        xml = _body()["xml"]
        if _oversized(xml):
            return _too_large()
        return jsonify(designer.check_draft(current_user, xml))
    except ValidationFailed as exc:
        return _refused(exc)


@bp.post("/diff")
@login_required
def diff():
    """What a draft changes against a version (`against`, default: the active one)."""
    designer.require_designer(current_user)
    if _oversized():
        return _too_large()
    try:
        body = _body()
        if _oversized(body["xml"]):
            return _too_large()
        return jsonify(designer.diff_draft(current_user, body["xml"], body.get("against")))
    except ValidationFailed as exc:
        return _refused(exc)


@bp.get("/versions/<int:version_id>/diff")
@login_required
def version_diff(version_id):
    """What a deployed version changes against the active one."""
    return jsonify(designer.diff_version(current_user, version_id))
