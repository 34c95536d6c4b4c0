"""Agency leaders: their agency's open and overdue cases, its figures, their notifications."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.routing import BuildError

from ..services.reads import agency_overview
from ..services.delivery.notifications import mark_read
from .paging import page_number

bp = Blueprint("leader", __name__, url_prefix="/leader")

PER_PAGE = 50


@bp.before_request
def _leaders_only():
    """Anonymous visitors go to the login page; anyone but an agency leader gets 403."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if current_user.role != "leader" or not current_user.agency_id:
        abort(403)
    return None


def case_url(code: str) -> str:
    """The staff case page (built by the cases blueprint), or its path if not registered yet."""
    try:
        return url_for("cases.detail", code=code)
    except BuildError:
        return f"/cases/{code}"


@bp.context_processor
def _helpers():
    return {"case_url": case_url}


@bp.get("/")
def overview():
    page = page_number()
    overdue_only = request.args.get("overdue") == "1"
    unread_only = request.args.get("unread") == "1"
    cases, total = agency_overview.open_cases(current_user, overdue_only=overdue_only,
                                              page=page, per_page=PER_PAGE)
    return render_template(
        "leader/overview.html", agency=current_user.agency, cases=cases, total=total, page=page,
        pages=max((total + PER_PAGE - 1) // PER_PAGE, 1), overdue_only=overdue_only,
        unread_only=unread_only, counts=agency_overview.overview_counts(current_user),
        notifications=agency_overview.leader_notifications(current_user, unread_only=unread_only))


@bp.post("/notifications/<int:notification_id>/read")
def notification_read(notification_id: int):
    mark_read(current_user, notification_id)
    return redirect(url_for(".overview", unread=request.args.get("unread") or None)
                    + "#notifications")
