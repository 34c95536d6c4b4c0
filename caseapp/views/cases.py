"""Staff case pages: the list, one case with its diagram, and its photos."""
from __future__ import annotations

import logging

from flask import Blueprint, jsonify, make_response, render_template, request
from flask_login import current_user, login_required

from ..i18n import localname
from ..services.reads import queries
from ..services.reads import reference
from ..services.reads.case_list import STATUSES, CaseFilters, list_cases, may_list_cases
from ..services.reads.diagram import case_diagram
from ..services.errors import ServiceError
from ..services.cases.photos import get_case_photo
from .paging import page_number

bp = Blueprint("cases", __name__, url_prefix="/cases")
log = logging.getLogger(__name__)

PER_PAGE = 25
LIST_ARGS = ("q", "status", "category", "overdue", "page")


def _args(**changes) -> dict:
    args = {k: request.args.get(k) for k in LIST_ARGS if request.args.get(k)}
    args.update(changes)
    return {k: v for k, v in args.items() if v not in (None, "")}


@bp.get("/")
@login_required
def index():
    filters = CaseFilters(q=(request.args.get("q") or "").strip()[:200] or None,
                          status=request.args.get("status") or None,
                          category=request.args.get("category") or None,
                          overdue=True if request.args.get("overdue") == "1" else None,
                          page=page_number(), per_page=PER_PAGE)
    rows, total = list_cases(current_user, filters)
    categories = reference.categories(active_only=False)
    agencies = reference.by_code(reference.agencies(active_only=False))
    return render_template("cases/index.html", rows=rows, total=total, filters=filters,
                           page=filters.page, pages=max((total + PER_PAGE - 1) // PER_PAGE, 1),
                           statuses=STATUSES, categories=reference.by_code(categories),
                           category_choices=[(c["code"], localname(c)) for c in categories],
                           agencies=agencies, args=_args, may_list=may_list_cases(current_user))


@bp.get("/<code>")
@login_required
def detail(code):
    case = queries.case_detail(current_user, code)
    try:
        diagram = case_diagram(current_user, code)
    except ServiceError:
        raise
    except Exception:  # the page stays useful if the diagram cannot be built
        log.exception("diagram of case %s could not be built", code)
        diagram = None
    return render_template("cases/detail.html", case=case, diagram=diagram,
                           categories=reference.by_code(reference.categories(active_only=False)),
                           agencies=reference.by_code(reference.agencies(active_only=False)))


@bp.get("/<code>/diagram")
@login_required
def diagram(code):
    """The diagram as JSON ({xml, marks}) for scripts that refresh it."""
    return jsonify(case_diagram(current_user, code))


@bp.get("/<code>/photos/<int:photo_id>")
@login_required
def photo(code, photo_id):
    row = get_case_photo(current_user, code, photo_id)
    response = make_response(row.data)
    response.headers["Content-Type"] = row.content_type
    response.headers["Content-Length"] = str(len(row.data))
    response.headers["Content-Disposition"] = f'inline; filename="{code}-{photo_id}.' \
        f'{"png" if row.content_type == "image/png" else "jpg"}"'
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    return response
