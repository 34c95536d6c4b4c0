"""JSON API v1 for the mobile app and integrations; bearer tokens, JSON errors."""
from __future__ import annotations

import re
from functools import wraps

from flask import Blueprint, g, jsonify, request
from flask_limiter.util import get_remote_address

from ..extensions import csrf, db, limiter
from ..models import Agency, Case, Category
from ..services.reads import queries
from ..services.cases import submission as reports
from ..services.cases import tasks as work_items
from ..services.cases.task_forms import fields_for_item
from ..services.errors import ValidationFailed
from ..services.delivery.notifications import notifications_for
from ..services.reads.queries import QueueFilters
from ..services.accounts.tokens import Unauthorized, issue_token, user_from_token

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
MAX_JSON_DEPTH = 20  # the deepest body the API takes is a few levels; parsing stops far deeper


def json_body() -> dict:
    """The request's JSON object, or a 4xx that says what is wrong (never a 500 on odd JSON)."""
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # thousands of nested arrays: the parser gives up
        data = None
    if not isinstance(data, dict):
        raise ValidationFailed("send a JSON object with Content-Type: application/json")
    problems = json_text_problems(data)
    if problems:
        raise ValidationFailed("the body holds text that cannot be stored", problems)
    return data


def json_text_problems(data: dict) -> dict[str, list[str]]:
    """Top-level keys whose value (at any depth) is nested too deep or holds a NUL or a lone
    surrogate (valid in JSON, refused by PostgreSQL and by UTF-8)."""
    problems: dict[str, list[str]] = {}
    for key, value in data.items():
        name = key if storable_text(key) else "body"
        pending = [(key, 1), (value, 1)]
        while pending and name not in problems:
            item, depth = pending.pop()
            if depth > MAX_JSON_DEPTH:
                problems[name] = [f"nested deeper than {MAX_JSON_DEPTH} levels"]
            elif isinstance(item, str) and not storable_text(item):
                problems[name] = ["contains a NUL character or a lone surrogate"]
            elif isinstance(item, dict):
                pending.extend((part, depth + 1) for pair in item.items() for part in pair)
            elif isinstance(item, list):
                pending.extend((part, depth + 1) for part in item)
    return problems


def storable_text(text: str) -> bool:
    """Text without NUL and lone surrogates, the two things no database column can hold."""
    return _UNSTORABLE.search(text) is None


def staff_required(view):
    """Resolve the bearer token into g.user before the view runs."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            raise Unauthorized("send Authorization: Bearer <token> (POST /api/v1/tokens)")
        g.user = user_from_token(header[len("Bearer "):].strip())
        return view(*args, **kwargs)
    return wrapper


@bp.post("/tokens")
@limiter.limit("60 per minute")
def create_token():
    data = json_body()
    return jsonify({"token": issue_token(data.get("username"), data.get("password"))}), 201


@bp.post("/reports")
@limiter.limit("60 per minute")
def submit_report():
    case, created = reports.submit_report(json_body(), request.headers.get("Idempotency-Key"),
                                          client=get_remote_address())
    response = jsonify({"tracking_code": case.tracking_code, "status": case.status,
                        "phase": case.phase})
    response.headers["Location"] = f"/api/v1/reports/{case.tracking_code}"
    if not created:
        response.headers["Idempotent-Replayed"] = "true"
    return response, 201


@bp.get("/reports/<code>")
@limiter.limit("300 per minute")
def report_status(code):
    return jsonify(queries.public_status(code))


def _bool_arg(name: str) -> bool | None:
    raw = request.args.get(name)
    if raw in (None, ""):
        return None
    if raw.lower() in ("1", "true", "yes"):
        return True
    if raw.lower() in ("0", "false", "no"):
        return False
    raise ValidationFailed(f"{name} must be true or false", {name: ["true or false"]})


def _int_arg(name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationFailed(f"{name} must be a whole number", {name: ["whole number"]}) from None
    if not 0 <= value <= 1_000_000:  # a database offset overflows far beyond
        raise ValidationFailed(f"{name} must be between 0 and 1000000",
                               {name: ["must be between 0 and 1000000"]})
    return value


@bp.get("/work-items")
@staff_required
def list_work_items():
    sort = request.args.get("sort", "due_at")
    filters = QueueFilters(task=request.args.get("task") or None, overdue=_bool_arg("overdue"),
                           urgent=_bool_arg("urgent"), category=request.args.get("category") or None,
                           claimed=request.args.get("claimed") or None,
                           q=" ".join((request.args.get("q") or "").split())[:200] or None,
                           sort=sort.lstrip("-"),
                           descending=sort.startswith("-"), page=_int_arg("page", 1),
                           per_page=_int_arg("per_page", 50))
    items, total = queries.work_queue(g.user, filters)
    return jsonify({"items": items, "total": total, "page": filters.page})


@bp.get("/work-items/<item_id>")
@staff_required
def get_work_item(item_id):
    item = work_items.get_work_item(g.user, item_id)
    return jsonify({**queries.work_item_dict(item), "fields": fields_for_item(item)})


@bp.post("/work-items/<item_id>/claim")
@staff_required
def claim(item_id):
    return jsonify(queries.work_item_dict(work_items.claim(g.user, item_id)))


@bp.post("/work-items/<item_id>/unclaim")
@staff_required
def unclaim(item_id):
    return jsonify(queries.work_item_dict(work_items.unclaim(g.user, item_id)))


@bp.post("/work-items/<item_id>/complete")
@staff_required
def complete(item_id):
    case = work_items.complete(g.user, item_id, json_body())
    return jsonify(queries.case_view(g.user, case, channel="api"))


@bp.get("/cases/<code>")
@staff_required
def case_detail(code):
    return jsonify(queries.case_detail(g.user, code, channel="api"))


@bp.get("/notifications")
@staff_required
def notifications():
    rows = notifications_for(g.user, unread_only=_bool_arg("unread") is True)
    codes = _codes_of({n.case_id for n in rows if n.case_id})
    return jsonify({"items": [{"id": n.id, "kind": n.kind, "subject": n.subject, "body": n.body,
                               "case": codes.get(n.case_id),
                               "created_at": queries.iso(n.created_at), "state": n.state,
                               "read": n.read_at is not None} for n in rows]})


def _codes_of(case_ids: set[int]) -> dict[int, str]:
    if not case_ids:
        return {}
    return dict(db.session.execute(db.select(Case.id, Case.tracking_code)
                                   .where(Case.id.in_(case_ids))).all())


@bp.get("/stats")
@staff_required
def stats():
    """The leaders' figures (services/figures); an agency leader gets their agency only."""
    from ..services.figures.payload import stats_for
    return jsonify(stats_for(g.user, request.args))


@bp.get("/categories")
def categories():
    rows = db.session.scalars(db.select(Category).where(Category.active.is_(True))
                              .order_by(Category.sort, Category.code))
    return jsonify({"items": [{"code": c.code, "name": c.name, "name_en": c.name_en} for c in rows]})


@bp.get("/agencies")
def agencies():
    rows = db.session.scalars(db.select(Agency).where(Agency.active.is_(True)).order_by(Agency.code))
    return jsonify({"items": [{"code": a.code, "name": a.name, "name_en": a.name_en, "kind": a.kind}
                              for a in rows]})


@bp.get("/announcements")
@limiter.limit("300 per minute")
def announcements():
    """The emergency announcements active now, newest first (public)."""
    from ..services.announcements import active_announcements
    return jsonify({"items": [{**item, "starts_at": item["starts_at"].isoformat(),
                               "ends_at": item["ends_at"].isoformat()}
                              for item in active_announcements()]})
