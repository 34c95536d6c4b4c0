"""What the modeler asks the server while a designer draws: the problems of a draft, and what a
draft or a deployed version changes against the active version (designers and admins only)."""
from __future__ import annotations

from ...extensions import db
from ...models import ProcessVersion
from ..administration.processes import active_version, require_designer
from ..errors import NotFound, ValidationFailed
from .diff import UnreadableDiagram, diff_diagrams
from .problems import errors_of, warnings_of
from .rules import check_diagram

MAX_DRAFT_BYTES = 2 * 1024 * 1024


def check_draft(user, xml: str) -> dict:
    """{problems: [Problem.as_dict()], errors, warnings, deployable} for the live check."""
    require_designer(user)
    problems = check_diagram(xml)
    errors = len(errors_of(problems))
    return {"problems": [p.as_dict() for p in problems], "errors": errors,
            "warnings": len(warnings_of(problems)), "deployable": errors == 0}


def _version(version_id) -> ProcessVersion:
    if version_id is None:
        return active_version()
    if isinstance(version_id, bool) or not isinstance(version_id, int):
        raise ValidationFailed("'against' must be a version id", {"against": ["not a version id"]})
    version = db.session.get(ProcessVersion, version_id)
    if version is None:
        raise NotFound("no such process version")
    return version


def _against(version: ProcessVersion) -> dict:
    return {"id": version.id, "version": version.version, "process_id": version.process_id}


def diff_draft(user, xml: str, against: int | None = None) -> dict:
    """What a draft changes against a version (the active one by default)."""
    require_designer(user)
    base = _version(against)
    try:
        result = diff_diagrams(base.bpmn_xml, xml)
    except UnreadableDiagram as exc:
        raise ValidationFailed(str(exc), {"xml": [str(exc)]}) from None
    return {**result, "against": _against(base)}


def diff_version(user, version_id: int) -> dict:
    """What a deployed version changes against the active one."""
    require_designer(user)
    other = _version(version_id)
    base = active_version(other.process_id)
    return {**diff_diagrams(base.bpmn_xml, other.bpmn_xml), "against": _against(base)}
