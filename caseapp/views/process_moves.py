"""Process designers move running cases to a newer version: dry run, apply with progress, revert."""
from flask import (Blueprint, current_app, flash, jsonify, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired

from ..services.administration import processes
from ..services.cases import move_runs, moving
from ..services.errors import ServiceError, ValidationFailed

bp = Blueprint("process_moves", __name__, url_prefix="/process/moves")
PER_PAGE = 50
POLL_SECONDS = 2


class ApplyForm(FlaskForm):
    to = StringField(validators=[DataRequired()])


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _int(value, default: int) -> int:
    try:
        return max(1, int(value))
    except (TypeError, ValueError):
        return default


@bp.get("/")
@login_required
def index():
    """Pick a version, see the dry run page by page, apply; a run's progress and its cases."""
    processes.require_designer(current_user)
    versions = [v for v in processes.list_versions(current_user)
                if v["process_id"] == processes.MAIN_PROCESS]
    chosen = request.args.get("to") or next((str(v["version"]) for v in versions if v["active"]), "")
    dry, error = None, None
    if chosen:
        try:
            target = moving.find_version(chosen)
            dry = move_runs.dry_run(target, page=_int(request.args.get("page"), 1), per_page=PER_PAGE)
        except ServiceError as exc:
            error = exc.message
    run_id = request.args.get("run", type=int)
    run = moved = None
    if run_id:
        try:
            run, moved = move_runs.run_summary(run_id), move_runs.moved_cases(run_id)
        except ServiceError:
            run = None
    return render_template("process/moves.html", versions=versions, chosen=chosen, dry=dry,
                           error=error, run=run, moved=moved, runs=move_runs.recent_runs(),
                           form=ApplyForm(), poll_seconds=POLL_SECONDS)


@bp.post("/")
@login_required
def apply():
    """Start moving every case that can move to the chosen version, in the background."""
    processes.require_designer(current_user)
    form = ApplyForm()
    if not form.validate_on_submit():
        raise ValidationFailed(_("Choose the version to move cases to."),
                               {"to": [_("Choose the version to move cases to.")]})
    target = moving.find_version(form.to.data)  # an unknown version: 404 (page or JSON)
    run = move_runs.create_run(target, current_user)
    run_id = run.id
    from timers.moves import start_run
    start_run(current_app._get_current_object(), run_id)
    page = url_for(".index", to=target.version, run=run_id)
    if _wants_json():
        return jsonify({"run": move_runs.run_summary(run_id), "page": page,
                        "progress": url_for(".progress", run_id=run_id)}), 202
    return redirect(page)


@bp.get("/<int:run_id>")
@login_required
def progress(run_id):
    """A run's counts as JSON, polled by the progress display."""
    return jsonify(move_runs.progress(current_user, run_id))


@bp.post("/cases/<code>/revert")
@login_required
def revert(code):
    """Undo one case's move (refused once the case went on after it)."""
    processes.require_designer(current_user)
    try:
        moving.revert(code, current_user)
        flash(_("The move of %(code)s was reverted.", code=code), "success")
    except ServiceError as exc:
        flash(_("The move of %(code)s cannot be reverted: %(reason)s", code=code,
                reason=exc.message), "error")
    back = request.form.get("next") or ""
    return redirect(back if back.startswith("/process/moves/") else url_for(".index"))
