"""Process designers: deployed versions of the BPMN, the diagram, and deploying a new version."""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired

from ..services.administration import processes
from ..services.errors import ValidationFailed

bp = Blueprint("process", __name__, url_prefix="/process")
MAX_BPMN_BYTES = 2 * 1024 * 1024


class DeployForm(FlaskForm):
    bpmn = FileField(_l("BPMN file"), validators=[FileRequired()])


def _page(form, version_id=None, error=None, status=200, problems=()):
    diagram = processes.version_diagram(current_user, version_id)
    return render_template("process/index.html", versions=processes.list_versions(current_user),
                           diagram=diagram, form=form, error=error, problems=problems), status


@bp.get("/")
@login_required
def index():
    return _page(DeployForm())


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
        version, created = processes.deploy_upload(current_user, raw.decode("utf-8"))
    except UnicodeDecodeError:
        return _page(form, error=_("The file is not UTF-8 text."), status=422)
    except ValidationFailed as exc:  # every reason at once (see process_checks.deploy_problems)
        problems = exc.fields.get("bpmn", [])
        return _page(form, error=_("The diagram was not deployed:") if problems else exc.message,
                     status=422, problems=problems)
    if created:
        flash(_("Version %(version)s deployed: new reports start on it; running cases keep theirs.",
                version=version.version), "success")
    else:
        flash(_("This diagram is already the active version."), "info")
    return redirect(url_for("process.index"))
