"""The leaders' dashboard: figures, charts and exports; an agency leader also their open cases
and notifications.

`monitor` and the portal `supervisor` see the province, an agency `leader` their agency (the
figures service enforces the scope); every other role is refused.
"""
from __future__ import annotations

from flask import (Blueprint, Response, abort, current_app, jsonify, redirect, render_template,
                   request, stream_with_context, url_for)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.routing import BuildError

from ..models import utcnow
from ..services.delivery.notifications import mark_read
from ..services.errors import ValidationFailed
from ..services.figures import exports, filters as figure_filters, stats, tables as figure_tables
from ..services.reads import agency_overview, reference
from .paging import page_number

bp = Blueprint("leader", __name__, url_prefix="/leader")

PER_PAGE = 50
REFRESH_SECONDS = 30
FORMATS = ("csv", "xlsx")


@bp.before_request
def _leaders_only():
    """Anonymous visitors go to the login page; roles without a dashboard get 403."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if not figure_filters.may_see_figures(current_user):
        abort(403)
    return None


def _is_agency_leader() -> bool:
    return current_user.role == "leader"


def case_url(code: str) -> str:
    """The staff case page (built by the cases blueprint), or its path if not registered yet."""
    try:
        return url_for("cases.detail", code=code)
    except BuildError:
        return f"/cases/{code}"


@bp.context_processor
def _helpers():
    return {"case_url": case_url}


def _filters_or_default(now):
    """The request's filters, or the defaults with the errors to show beside the form."""
    try:
        return figure_filters.parse_filters(current_user, request.args, now), {}
    except ValidationFailed as exc:
        return figure_filters.parse_filters(current_user, {}, now), exc.fields


def _choices() -> dict:
    """What the filter form offers: an agency leader only their own agency."""
    agencies = reference.agencies(active_only=False)
    if _is_agency_leader():
        agencies = [a for a in agencies if a["code"] == current_user.agency.code]
    return {"agencies": agencies, "categories": reference.categories(active_only=False),
            "districts": reference.districts(active_only=False)}


def dashboard_json(tables, figures) -> dict:
    """What the page's 30-second refresh receives: the cards and every table."""
    received, urgent = figures["received"], figures["urgent"]
    return {"generated_at": figures["now"].isoformat(),
            "cards": {"today": received["today"], "week": received["week"],
                      "month": received["month"], "period": received["period"],
                      "open": figures["open"]["total"], "overdue": figures["overdue"]["total"],
                      "urgent_open": urgent["open"]},
            "tables": [t.as_dict() for t in tables]}


@bp.get("/")
def overview():
    now = utcnow()
    f, filter_errors = _filters_or_default(now)
    figures = stats.dashboard_figures(f, now)
    tables = figure_tables.build_tables(figures)
    payload = dashboard_json(tables, figures)
    context = {"filters": f, "filter_errors": filter_errors, "choices": _choices(),
               "tables": tables, "summary": payload["cards"], "payload": payload,
               "refresh_seconds": REFRESH_SECONDS, "agency": current_user.agency,
               "is_agency_leader": _is_agency_leader()}
    if _is_agency_leader():
        page = page_number()
        overdue_only = request.args.get("overdue") == "1"
        unread_only = request.args.get("unread") == "1"
        cases, total = agency_overview.open_cases(current_user, overdue_only=overdue_only,
                                                  page=page, per_page=PER_PAGE)
        context.update(
            cases=cases, total=total, page=page, pages=max((total + PER_PAGE - 1) // PER_PAGE, 1),
            overdue_only=overdue_only, unread_only=unread_only,
            counts=agency_overview.overview_counts(current_user),
            notifications=agency_overview.leader_notifications(current_user,
                                                               unread_only=unread_only))
    return render_template("leader/overview.html", **context)


@bp.get("/figures.json")
def figures_json():
    """The dashboard's figures for its refresh; bad filters are a 422 in the API's shape."""
    now = utcnow()
    f = figure_filters.parse_filters(current_user, request.args, now)
    figures = stats.dashboard_figures(f, now)
    return jsonify(dashboard_json(figure_tables.build_tables(figures), figures))


@bp.get("/export/<table_id>.<fmt>")
def export_table(table_id: str, fmt: str):
    """One table of the dashboard as CSV (UTF-8 with BOM) or XLSX."""
    if fmt not in FORMATS or (table_id not in figure_tables.TABLE_IDS and table_id != "register"):
        abort(404)
    now = utcnow()
    f = figure_filters.parse_filters(current_user, request.args, now)
    if table_id == "register":
        title = _("Case register")
        columns = exports.register_columns(current_user)
        rows = exports.register_rows(current_user, f)
    else:
        table = figure_tables.table_by_id(figure_tables.build_tables(stats.dashboard_figures(f, now)),
                                          table_id)
        title, columns, rows = table.title, table.columns, table.rows
    name = exports.filename(table_id, f, fmt)
    if fmt == "csv":
        body, mimetype = exports.csv_stream(columns, rows), exports.CSV_MIMETYPE
    else:
        body, mimetype = exports.xlsx_stream(title, columns, rows), exports.XLSX_MIMETYPE
    return Response(stream_with_context(body), mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Cache-Control": "no-store"})


@bp.post("/notifications/<int:notification_id>/read")
def notification_read(notification_id: int):
    if not _is_agency_leader():
        abort(403)
    mark_read(current_user, notification_id)
    return redirect(url_for(".overview", unread=request.args.get("unread") or None)
                    + "#notifications")
