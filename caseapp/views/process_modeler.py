"""The modeler in the browser: open a version or a draft, save drafts, deploy, download XML."""
from __future__ import annotations

import base64
import hashlib

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..extensions import db
from ..security_headers import CONTENT_SECURITY_POLICY, talisman
from ..models import ProcessVersion
from ..services.administration import processes
from ..services.errors import NotFound, ValidationFailed
from ..services.process_design import drafts

bp = Blueprint("process_modeler", __name__, url_prefix="/process")
CHECK_URL = "/process/check"  # helper A's rules (services/process_design)
DIFF_URL = "/process/diff"


# The properties panel (camunda-bpmn-js 5.30.2, BpmnPropertiesPanelRenderer) builds its two
# containers from HTML carrying style="height: 100%" and style="flex: none; height: auto". Only
# these two exact attribute values are allowed, on this page only ('unsafe-hashes' with their
# hashes: no other inline style, no 'unsafe-inline', no 'unsafe-eval': the bundle needs no eval).
PANEL_STYLE_ATTRIBUTES = ("height: 100%", "flex: none; height: auto")
MODELER_CSP = {**CONTENT_SECURITY_POLICY, "style-src-attr": "'unsafe-hashes' " + " ".join(
    "'sha256-{}'".format(base64.b64encode(hashlib.sha256(value.encode()).digest()).decode())
    for value in PANEL_STYLE_ATTRIBUTES)}


def _version(version_id: int) -> ProcessVersion:
    version = db.session.get(ProcessVersion, version_id)
    if version is None:
        raise NotFound("no such process version")
    return version


def _int_arg(name: str) -> int | None:
    value = request.args.get(name)
    if value in (None, ""):
        return None
    if not value.isdigit():
        raise NotFound(f"no such {name}")
    return int(value)


@bp.get("/modeler")
@login_required
@talisman(content_security_policy=MODELER_CSP)
def modeler():
    """The modeler page: the active version, `?version=ID` or one of the user's `?draft=ID`."""
    processes.require_designer(current_user)
    draft_id, version_id = _int_arg("draft"), _int_arg("version")
    active = processes.active_version()
    opened = {"draft_id": None, "title": "", "based_on": active.id}
    if draft_id is not None:
        draft = drafts.get_draft(current_user, draft_id)
        xml = draft.xml
        opened.update(draft_id=draft.id, title=draft.title, based_on=draft.based_on_version_id)
    else:
        version = active if version_id is None else _version(version_id)
        xml = version.bpmn_xml
        opened.update(based_on=version.id, title=_("Draft from %(process)s v%(version)s",
                                                   process=version.process_id,
                                                   version=version.version))
    data = {**opened, "xml": xml, "active_version_id": active.id,
            "urls": {"check": CHECK_URL, "diff": DIFF_URL, "save": url_for(".save_draft"),
                     "deploy": url_for(".deploy_draft", draft_id=0).replace("/0/", "/{id}/"),
                     "open_draft": url_for(".modeler") + "?draft={id}"}}
    return render_template("process/modeler.html", modeler=data, opened=opened,
                           drafts=drafts.list_drafts(current_user),
                           versions=processes.list_versions(current_user), active=active)


@bp.get("/drafts")
@login_required
def list_drafts():
    """The user's drafts as JSON (an admin: everyone's)."""
    rows = drafts.list_drafts(current_user)
    return jsonify({"drafts": [{**r, "updated_at": r["updated_at"].isoformat()} for r in rows]})


@bp.post("/drafts")
@login_required
def save_draft():
    """Create or overwrite a draft from the modeler (JSON); problems do not stop a save."""
    body = request.get_json(silent=True) or {}
    draft_id, based_on = body.get("draft_id"), body.get("based_on")
    for name, value in (("draft_id", draft_id), ("based_on", based_on)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise ValidationFailed(f"{name} must be a number", {name: ["invalid"]})
    draft = drafts.save_draft(current_user, body.get("xml"), body.get("title"), draft_id,
                              based_on)
    return jsonify({"draft": {"id": draft.id, "title": draft.title,
                              "updated_at": draft.updated_at.isoformat()}}), \
        200 if draft_id is not None else 201


@bp.post("/drafts/<int:draft_id>/delete")
@login_required
def delete_draft(draft_id):
    drafts.delete_draft(current_user, draft_id)
    if request.is_json:
        return jsonify({"deleted": draft_id})
    flash(_("The draft was deleted."), "info")
    return redirect(url_for(".modeler"))


@bp.post("/drafts/<int:draft_id>/deploy")
@login_required
def deploy_draft(draft_id):
    """Deploy a draft: 201 new version, 200 already deployed, 422 with every problem."""
    body = request.get_json(silent=True) or {}
    try:
        version, created = drafts.deploy_draft(current_user, draft_id,
                                               bool(body.get("accept_warnings")))
    except ValidationFailed as exc:
        db.session.rollback()
        return jsonify({"error": {"code": exc.code, "message": exc.message},
                        "problems": drafts.refusal_problems(exc)}), 422
    if not created:
        return jsonify({"already_deployed": True, "version": version.version}), 200
    return jsonify({"version": version.version, "version_id": version.id}), 201


def _xml_download(xml: str, filename: str) -> Response:
    return Response(xml, mimetype="application/xml", headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/versions/<int:version_id>/download")
@login_required
def download_version(version_id):
    """A deployed version's XML as it was deployed, e.g. field_report-v3.bpmn."""
    processes.require_designer(current_user)
    version = _version(version_id)
    return _xml_download(version.bpmn_xml, f"{version.process_id}-v{version.version}.bpmn")


@bp.get("/drafts/<int:draft_id>/download")
@login_required
def download_draft(draft_id):
    """A draft's XML, e.g. field_report-draft-12.bpmn."""
    draft = drafts.get_draft(current_user, draft_id)
    return _xml_download(draft.xml, f"{draft.process_id}-draft-{draft.id}.bpmn")
