"""The public transparency board: answered reports and overall figures (no login)."""
from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, render_template, request

from ..extensions import limiter
from ..services.reads import board as board_reads
from ..services.reads import reference
from .paging import page_number

bp = Blueprint("board", __name__)


def _code(name: str) -> str | None:
    value = (request.args.get(name) or "").strip()
    return value[:40] or None


@bp.get("/board")
@limiter.limit("300 per minute")  # like the public look-ups: a search is a query on the database
def index():
    filters = board_reads.BoardFilters(
        category=_code("category"), district=_code("district"),
        words=board_reads.clean_words(request.args.get("q")), page=page_number(),
        per_page=board_reads.PER_PAGE)
    reports, total = board_reads.answered_reports(filters)
    per_page = filters.per_page
    last_page = max((total + per_page - 1) // per_page, 1)
    if filters.page > last_page:  # past the end (an old link, fewer answers): the last page
        filters = replace(filters, page=last_page)
        reports, total = board_reads.answered_reports(filters)
    return render_template(
        "public/board.html", reports=reports, total=total, filters=filters,
        page=filters.page, pages=max((total + per_page - 1) // per_page, 1),
        figures=board_reads.board_figures(filters),
        categories=reference.categories(active_only=False),
        districts=reference.districts(active_only=False),
        words=request.args.get("q", "")[:board_reads.MAX_WORDS_LENGTH])
