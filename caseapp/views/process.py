"""Process designers: deployed versions of the BPMN, the diagram, and deploying a new version."""
from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField

from ..models import utcnow
from ..services.administration import processes
from ..services.errors import ValidationFailed
from ..services.figures import diagram_heat
from ..services.process_design import drafts
from ..services.reads import reference

bp = Blueprint("process", __name__, url_prefix="/process")
MAX_BPMN_BYTES = 2 * 1024 * 1024
REFRESH_SECONDS = 30


class DeployForm(FlaskForm):
    bpmn = FileField(_l("BPMN file"), validators=[FileRequired()])
    accept_warnings = BooleanField(_l("Deploy despite the warnings"))


def _heat_or_default(now):
    """The live figures for the request's filters, or the defaults with the errors to show."""
    try:
        f, errors = diagram_heat.parse_heat_filters(request.args, now), {}
    except ValidationFailed as exc:
        f, errors = diagram_heat.parse_heat_filters({}, now), exc.fields
    return diagram_heat.diagram_heat(current_user, f, now), errors


def _page(form, version_id=None, error=None, status=200, problems=()):
    diagram = processes.version_diagram(current_user, version_id)
    heat, heat_errors = (None, {}) if version_id is not None else _heat_or_default(utcnow())
    return render_template("process/index.html", versions=processes.list_versions(current_user),
                           diagram=diagram, form=form, error=error, problems=problems,
                           heat=heat, heat_errors=heat_errors, agencies=_agencies(),
                           refresh_seconds=REFRESH_SECONDS), status


def _agencies() -> list[dict]:
    return reference.agencies(active_only=False)


@bp.get("/")
@login_required
def index():
    return _page(DeployForm())


@bp.get("/figures")
@login_required
def figures():
    """The live diagram's figures for the page's refresh; bad filters are a 422 in JSON."""
    processes.require_designer(current_user)
    now = utcnow()
    try:
        f = diagram_heat.parse_heat_filters(request.args, now)
    except ValidationFailed as exc:
        return jsonify({"error": {"code": exc.code, "message": exc.message,
                                  "fields": exc.fields}}), 422
    return jsonify(diagram_heat.diagram_heat(current_user, f, now))


@bp.get("/versions/<int:version_id>")
@login_required
def version(version_id):
    return _page(DeployForm(), version_id)


@bp.post("/deploy")
@login_required
def deploy():
    processes.require_designer(current_user)
    form = DeployForm()
    if not form.validate_on_submit():
        return _page(form, error=_("Choose a BPMN file to deploy."), status=422)
    raw = form.bpmn.data.read(MAX_BPMN_BYTES + 1)
    if len(raw) > MAX_BPMN_BYTES:
        return _page(form, error=_("The file is larger than 2 MB."), status=422)
    try:
        version, created = drafts.deploy_xml(current_user, raw.decode("utf-8"),
                                             form.accept_warnings.data)
    except UnicodeDecodeError:
        return _page(form, error=_("The file is not UTF-8 text."), status=422)
    except ValidationFailed as exc:  # every reason at once, each with its element and severity
        return _page(form, error=_("The diagram was not deployed:"), status=422,
                     problems=drafts.refusal_problems(exc))
    if created:
        flash(_("Version %(version)s deployed: new reports start on it; running cases keep theirs.",
                version=version.version), "success")
    else:
        flash(_("This diagram is already the active version."), "info")
    return redirect(url_for("process.index"))
