"""Citizens: report form and tracking page (no login)."""
from __future__ import annotations

import uuid

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   session, url_for)
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address

from forms.messages import apply_service_errors
from forms.report import ReportForm

from ..extensions import limiter
from ..i18n import LANGUAGES, localname
from ..services.reads import queries
from ..services.reads import reference
from ..services.cases import submission as reports
from ..services.errors import NotFound, ValidationFailed
from ..services.cases.photos import clean_photos
from .redirects import local_url

bp = Blueprint("public", __name__)


@bp.get("/")
def index():
    return render_template("public/index.html")


@bp.get("/lang/<code>")
def set_language(code):
    if code in LANGUAGES:
        session["lang"] = code
    response = redirect(local_url(request.args.get("next"), url_for("public.index")))
    if code in LANGUAGES:
        response.set_cookie("lang", code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True,
                            secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


def _category_choices() -> list[tuple[str, str]]:
    return [(c["code"], localname(c)) for c in reference.categories()]


def _district_choices() -> list[tuple[str, str]]:
    return [(d["code"], localname(d)) for d in reference.districts()]


def _uploads(form: ReportForm) -> list[tuple[str, bytes]]:
    files = [f for f in (form.photos.data or []) if getattr(f, "filename", "")]
    return [(f.filename, f.read()) for f in files]


@bp.route("/report", methods=["GET", "POST"])
@limiter.limit("60 per minute", methods=["POST"])
def report():
    form = ReportForm().set_categories(_category_choices()).set_districts(_district_choices())
    if request.method == "GET":
        form.idempotency_key.data = uuid.uuid4().hex
        if request.args.get("category"):
            form.category.data = request.args["category"]
    problems: list[str] = []
    status = 200
    if form.is_submitted():
        valid = form.validate()
        photos = []
        try:
            photos = clean_photos(_uploads(form))
        except ValidationFailed as exc:
            problems += apply_service_errors(form, exc.fields)
            valid = False
        if valid:
            try:
                case, _created = reports.submit_report(
                    form.service_data(), idempotency_key=form.idempotency_key.data or None,
                    photos=photos, client=get_remote_address())
            except ValidationFailed as exc:
                if exc.code == "idempotency_key_reused":  # sent, then changed: the next send is new
                    form.idempotency_key.data = uuid.uuid4().hex
                    problems.append(_("This form was already sent with other details. Check the "
                                      "report and send it again to make a new one."))
                else:
                    problems += apply_service_errors(form, exc.fields)
            else:
                session["last_report"] = case.tracking_code
                return redirect(url_for("public.report_sent"))
        status = 422
    if form.is_submitted() and not form.idempotency_key.data:
        form.idempotency_key.data = uuid.uuid4().hex
    return render_template("public/report.html", form=form, problems=problems), status


@bp.get("/report/sent")
def report_sent():
    code = session.get("last_report")
    if not code:
        return redirect(url_for("public.report"))
    return render_template("public/report_sent.html", code=code)


@bp.get("/track")
@limiter.limit("300 per minute")
def track():
    code = (request.args.get("code") or "").strip().upper()
    if code:
        return redirect(url_for("public.track_code", code=code))
    return render_template("public/track.html", status=None, code="", not_found=False)


@bp.get("/track/<code>")
@limiter.limit("300 per minute")
def track_code(code):
    if len(code) > 40:
        abort(404)
    try:
        status = queries.public_status(code)
    except NotFound:
        flash(_("No report has this tracking code. Check it and try again."), "error")
        return render_template("public/track.html", status=None, code=code.upper(),
                               not_found=True), 404
    categories = reference.by_code(reference.categories(active_only=False))
    agencies = {a["name"]: a for a in reference.agencies(active_only=False)}
    return render_template("public/track.html", status=status, code=status["tracking_code"],
                           not_found=False, category=categories.get(status["category"]),
                           agencies=agencies)
