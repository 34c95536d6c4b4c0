"""Emergency announcements: the staff page (publish, list, withdraw) and the public banner."""
from __future__ import annotations

import logging
from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from forms.announcement import AnnouncementForm
from forms.messages import apply_service_errors

from ..extensions import db
from ..i18n import LOCAL_TZ
from ..models import utcnow
from ..services import announcements
from ..services.errors import Forbidden, NotFound, ValidationFailed

bp = Blueprint("announcements", __name__, url_prefix="/announcements")
log = logging.getLogger(__name__)

_MESSAGES = {
    announcements.MSG_DATETIME: _l("Enter a date and time."),
    announcements.MSG_END_BEFORE_START: _l("The end must be after the start."),
    announcements.MSG_END_PASSED: _l("The end must be in the future."),
    announcements.MSG_TOO_LONG_WINDOW: _l("An announcement is shown for at most 90 days."),
}


@bp.app_template_global("public_announcements")
def public_announcements() -> list[dict]:
    """The banner of every page: the announcements active now. A database problem hides the
    banner rather than breaking the page (the error page itself shows it too)."""
    try:
        return announcements.active_announcements()
    except SQLAlchemyError:
        log.exception("could not read the active announcements")
        db.session.rollback()
        return []


@bp.before_request
def _readers_only():
    """Anonymous visitors go to the login page; staff without a say get 403."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if not announcements.can_read(current_user):
        abort(403)
    return None


def _local_input(moment) -> str:
    """A datetime-local input's value in Asia/Ho_Chi_Minh."""
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M")


def _page(form: AnnouncementForm, status: int = 200):
    overview = announcements.staff_overview(current_user)
    return render_template("announcements/index.html", form=form, overview=overview,
                           can_publish=announcements.can_publish(current_user),
                           can_withdraw=lambda row: announcements.can_withdraw(current_user, row),
                           ), status


@bp.get("/")
def index():
    form = AnnouncementForm()
    now = utcnow().replace(second=0, microsecond=0)
    form.starts_at.data = _local_input(now)
    form.ends_at.data = _local_input(now + timedelta(hours=24))
    return _page(form)


@bp.post("/")
def publish():
    form = AnnouncementForm()
    if not announcements.can_publish(current_user):
        abort(403)
    if form.validate():  # CSRF; the content rules are the service's
        try:
            row = announcements.publish_announcement(current_user, {
                name: form[name].data for name in ("title", "text", "area", "starts_at", "ends_at")})
        except ValidationFailed as exc:
            apply_service_errors(form, _translated(exc.fields))
        else:
            flash(_("Announcement published: %(title)s", title=row.title), "success")
            return redirect(url_for("announcements.index"))
    return _page(form, 422)


@bp.post("/<int:announcement_id>/withdraw")
def withdraw(announcement_id: int):
    form = AnnouncementForm()  # CSRF only
    if not form.validate():
        abort(400)
    try:
        row = announcements.withdraw_announcement(current_user, announcement_id)
    except NotFound:
        abort(404)
    except Forbidden:
        abort(403)
    flash(_("Announcement withdrawn: %(title)s", title=row.title), "success")
    return redirect(url_for("announcements.index"))


def _translated(fields: dict) -> dict:
    """This module's messages in the visitor's language; the common ones are translated later."""
    return {name: [str(_MESSAGES.get(m, m)) for m in messages] for name, messages in fields.items()}
