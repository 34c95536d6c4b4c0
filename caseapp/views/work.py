"""Staff work queues and task pages."""
from __future__ import annotations

from flask import (Blueprint, flash, make_response, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from forms.messages import apply_service_errors, translate_error
from forms.registry import FORMS, build_form, form_data

from ..i18n import current_language, label_for, localname
from ..services.reads import queries
from ..services.reads import reference
from ..services.cases import tasks as work_items
from ..services.cases import task_forms
from ..services.errors import Conflict, ValidationFailed
from ..services.reads.queries import QueueFilters
from .redirects import local_url
from .paging import page_number

bp = Blueprint("work", __name__, url_prefix="/work")

PER_PAGE = 25
SORTS = ("due_at", "-due_at", "created_at", "-created_at")
QUEUE_ARGS = ("q", "task", "overdue", "urgent", "category", "claimed", "sort", "page")
REFRESH_SECONDS = 20


def _flag(name: str) -> bool | None:
    raw = (request.args.get(name) or "").lower()
    if raw in ("1", "true", "yes"):
        return True
    if raw in ("0", "false", "no"):
        return False
    return None


def _filters() -> QueueFilters:
    sort = request.args.get("sort") or "due_at"
    if sort not in SORTS:
        sort = "due_at"
    claimed = request.args.get("claimed") or None
    return QueueFilters(q=search_text(), task=request.args.get("task") or None,
                        overdue=_flag("overdue"),
                        urgent=_flag("urgent"), category=request.args.get("category") or None,
                        claimed=claimed if claimed in ("me", "none") else None,
                        sort=sort.lstrip("-"), descending=sort.startswith("-"), page=page_number(),
                        per_page=PER_PAGE)


def search_text() -> str | None:
    """The queue's search box: a tracking code or words (trimmed; at most 200 characters)."""
    return " ".join((request.args.get("q") or "").split())[:200] or None


def _current_args(**changes) -> dict:
    args = {k: request.args.get(k) for k in QUEUE_ARGS if request.args.get(k)}
    args.update(changes)
    return {k: v for k, v in args.items() if v not in (None, "")}


def _task_choices(user, selected: str | None) -> list[tuple[str, str]]:
    """The tasks open in the user's queues (from the BPMN), by their translated label or name."""
    tasks = queries.queue_tasks(user)
    if selected and selected not in dict(tasks):  # the filter in use stays on show
        tasks.append((selected, selected))
    choices = []
    for key, name in tasks:
        label = label_for("task", key)
        choices.append((key, name if label == key else label))
    return choices


def _queue_context() -> dict:
    filters = _filters()
    items, total = queries.work_queue(current_user, filters)
    pages = max((total + PER_PAGE - 1) // PER_PAGE, 1)
    categories = reference.categories(active_only=False)
    return {"items": items, "total": total, "page": filters.page, "pages": pages,
            "filters": filters, "sort": request.args.get("sort") or "due_at",
            "categories": reference.by_code(categories),
            "category_choices": [(c["code"], localname(c)) for c in categories if c["active"]],
            "task_choices": _task_choices(current_user, filters.task), "args": _current_args(),
            "current_args": _current_args, "refresh_seconds": REFRESH_SECONDS,
            "here": request.full_path.rstrip("?")}


@bp.get("/")
@login_required
def queue():
    return render_template("work/queue.html", **_queue_context())


@bp.get("/rows")
def queue_rows():
    """The table alone, polled by htmx; an expired session sends the page to the sign-in form."""
    if not current_user.is_authenticated:
        flash(_("Please sign in to open this page."), "warning")  # shown on the sign-in page
        response = make_response("", 204)
        response.headers["HX-Redirect"] = url_for("auth.login", next=url_for(
            "work.queue", **_current_args()))
        return response
    context = _queue_context()
    context["here"] = url_for("work.queue", **_current_args())
    return render_template("work/_rows.html", **context)


def _back(default: str) -> str:
    return local_url(request.form.get("next") or request.args.get("next"), default)


@bp.post("/items/<item_id>/claim")
@login_required
def claim(item_id):
    try:
        work_items.claim(current_user, item_id)
    except Conflict as exc:
        flash(_conflict_message(exc), "error")
    else:
        flash(_("You claimed this task."), "success")
    return redirect(_back(url_for("work.task", item_id=item_id)))


@bp.post("/items/<item_id>/unclaim")
@login_required
def unclaim(item_id):
    try:
        work_items.unclaim(current_user, item_id)
    except Conflict as exc:
        flash(_conflict_message(exc), "error")
    else:
        flash(_("You released this task; colleagues can take it."), "success")
    return redirect(_back(url_for("work.queue")))


def _conflict_message(exc: Conflict) -> str:
    if exc.code == "already_completed":
        return _("This task has already been completed by a colleague.")
    if exc.code == "claimed":
        return _("A colleague has claimed this task.")
    return _("Someone else changed this report at the same time. Reload the page and try again.")


def _agency_choices(detail: dict) -> list[tuple[str, str]]:
    returned = {a["code"] for a in detail.get("agencies", []) if a.get("outcome") == "returned"}
    choices = []
    for agency in reference.agencies():
        label = localname(agency)
        if agency["code"] in returned:
            label = _("%(agency)s (returned this report)", agency=label)
        choices.append((agency["code"], label))
    return choices


@bp.route("/items/<item_id>", methods=["GET", "POST"])
@login_required
def task(item_id):
    item = work_items.get_work_item(current_user, item_id)
    row = queries.work_item_dict(item)
    detail = queries.case_detail(current_user, row["tracking_code"])
    form_spec = None
    if item.form_key not in FORMS:  # generated from the BPMN's camunda:formData (404 if none)
        form_spec = task_forms.form_for(item.case.process_version_id, item.bpmn_id, item.form_key)
    form = build_form(item.form_key, agencies=_agency_choices(detail), case=detail,
                      form_spec=form_spec, language=current_language())
    problems: list[str] = []
    conflict = None
    status = 200
    if item.state != "open":
        if request.method == "POST":
            conflict = _("This task has already been completed by a colleague.")
            status = 409
    elif request.method == "POST":
        if form.validate():
            try:
                work_items.complete(current_user, item_id, form_data(form))
            except ValidationFailed as exc:
                problems = apply_service_errors(form, exc.fields)
                if not exc.fields:
                    problems.append(translate_error(exc.message))
                status = 422
            except Conflict as exc:
                conflict = _conflict_message(exc)
                status = 409
            else:
                flash(_done_message(form), "success")
                return redirect(url_for("work.queue"))
        else:
            status = 422
        if conflict:
            item = work_items.get_work_item(current_user, item_id)
            row = queries.work_item_dict(item)
            detail = queries.case_detail(current_user, row["tracking_code"])
    categories = reference.by_code(reference.categories(active_only=False))
    agencies = reference.by_code(reference.agencies(active_only=False))
    return render_template("work/task.html", item=row, case=detail, form=form,
                           problems=problems, conflict=conflict, form_key=item.form_key,
                           generated=form_spec is not None,
                           categories=categories, agencies=agencies,
                           task_open=item.state == "open"), status


def _done_message(form) -> str:
    data = form_data(form)
    action = data.get("action")
    if form.form_key == "dispatch":
        return _("The report was rejected.") if action == "reject" else \
            _("The report was sent to the agency.")
    if form.form_key == "handle":
        return _("The report was returned to the portal.") if action == "return" else \
            _("The result was sent to the portal.")
    if form.form_key == "publish":
        return _("The reply was published.")
    return _("The task was completed.")
