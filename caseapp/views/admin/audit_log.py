"""Admin screen for the audit log."""
from __future__ import annotations

import json

from flask import render_template, request

from ...services.administration.audit_log import audit_actions, audit_log_page
from .base import PER_PAGE, bp, page_arg, pages


@bp.context_processor
def _labels():
    return {"audit_detail": audit_detail}


def audit_detail(detail) -> str:
    """The JSON detail of an audit entry, compact and readable."""
    if not detail:
        return ""
    return json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str)


@bp.get("/audit")
def audit():
    page = page_arg()
    action = request.args.get("action") or None
    if action not in audit_actions():
        action = None
    rows, total = audit_log_page(page, PER_PAGE, action)
    return render_template("admin/audit.html", entries=rows, total=total, page=page,
                           pages=pages(total), action=action, actions=audit_actions())
