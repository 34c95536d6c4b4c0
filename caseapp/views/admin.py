"""Admin screens: agencies, users, categories, SLA policies, the calendar and the audit log.

Every route parses its form, calls one service of caseapp.services.administration.admin and renders; the
services validate, write, audit and commit. Only the `admin` role gets in.
"""
from __future__ import annotations

import json
from datetime import date

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from wtforms import SelectChoice

from ..i18n import select_locale
from ..models import ROLES
from ..services.administration import admin as service
from ..services.errors import ValidationFailed
from .admin_forms import (AGENCY_KIND_LABELS, CALENDAR_KIND_LABELS, ROLE_LABELS, SLA_PHASE_LABELS,
                          AgencyCreateForm, AgencyForm, CalendarDayForm, CategoryCreateForm,
                          CategoryForm, PasswordResetForm, SlaPolicyCreateForm, SlaPolicyForm,
                          UserCreateForm, UserForm)

bp = Blueprint("admin", __name__, url_prefix="/admin")

PER_PAGE = 50


@bp.before_request
def _admins_only():
    """Anonymous visitors go to the login page; signed-in non-admins get 403."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if current_user.role != "admin":
        abort(403)
    return None


@bp.context_processor
def _labels():
    return {"role_labels": ROLE_LABELS, "kind_labels": AGENCY_KIND_LABELS,
            "calendar_kind_labels": CALENDAR_KIND_LABELS, "sla_phase_labels": SLA_PHASE_LABELS,
            "duration_text": duration_text, "audit_detail": audit_detail}


# ---------------------------------------------------------------- helpers

def _show_errors(form, exc: ValidationFailed) -> list[str]:
    """Put a service's field errors on the form's fields; return the ones without a field."""
    general = []
    for name, messages in (exc.fields or {}).items():
        translated = [_(m) for m in messages]
        field = form._fields.get(name)
        if field is not None:
            field.errors = list(field.errors or []) + translated
        else:
            general += translated
    if not exc.fields:
        general.append(_(exc.message))
    return general


def _page_arg() -> int:
    try:
        return max(int(request.args.get("page", 1)), 1)
    except ValueError:
        return 1


def _pages(total: int, per_page: int = PER_PAGE) -> int:
    return max((total + per_page - 1) // per_page, 1)


def duration_text(iso: str) -> str:
    """PT1H30M → '1 giờ 30 phút' / '1 hour 30 minutes', for the SLA table."""
    from caseapp.calendar.sla import InvalidDuration, parse_duration
    try:
        value = parse_duration(iso)
    except InvalidDuration:
        return iso
    seconds = int(value.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = []
    if days:
        parts.append(ngettext("%(num)d day", "%(num)d days", days))
    if hours:
        parts.append(ngettext("%(num)d hour", "%(num)d hours", hours))
    if minutes:
        parts.append(ngettext("%(num)d minute", "%(num)d minutes", minutes))
    if seconds:
        parts.append(ngettext("%(num)d second", "%(num)d seconds", seconds))
    return " ".join(parts)


def audit_detail(detail) -> str:
    """The JSON detail of an audit entry, compact and readable."""
    if not detail:
        return ""
    return json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str)


def _form_data(form, names) -> dict:
    return {name: form[name].data for name in names}


# ---------------------------------------------------------------- home

@bp.get("/")
def index():
    return render_template("admin/index.html")


# ---------------------------------------------------------------- agencies

@bp.get("/agencies")
def agencies():
    return render_template("admin/agencies.html", agencies=service.list_agencies())


@bp.route("/agencies/new", methods=["GET", "POST"])
def agency_new():
    form = AgencyCreateForm()
    general: list[str] = []
    if form.validate_on_submit():
        try:
            agency = service.create_agency(current_user, _form_data(
                form, ("code", "name", "name_en", "kind", "active")))
        except ValidationFailed as exc:
            general = _show_errors(form, exc)
        else:
            flash(_("Agency %(code)s created.", code=agency.code), "success")
            return redirect(url_for(".agencies"))
    return _render_form("admin/agency_form.html", form, general, agency=None)


@bp.route("/agencies/<int:agency_id>/edit", methods=["GET", "POST"])
def agency_edit(agency_id: int):
    agency = service.get_agency(agency_id)
    form = AgencyForm(obj=agency)
    general: list[str] = []
    if form.validate_on_submit():
        try:
            service.update_agency(current_user, agency_id, _form_data(
                form, ("name", "name_en", "kind", "active")))
        except ValidationFailed as exc:
            general = _show_errors(form, exc)
        else:
            flash(_("Agency %(code)s saved.", code=agency.code), "success")
            return redirect(url_for(".agencies"))
    return _render_form("admin/agency_form.html", form, general, agency=agency)


def _render_form(template: str, form, general: list[str], **context):
    """A form page: 422 when the submission had errors, so clients and tests can tell."""
    failed = request.method == "POST" and (bool(general) or bool(form.errors))
    return render_template(template, form=form, general_errors=general, **context), \
        422 if failed else 200


# ---------------------------------------------------------------- categories

@bp.get("/categories")
def categories():
    return render_template("admin/categories.html", categories=service.list_categories())


@bp.route("/categories/new", methods=["GET", "POST"])
def category_new():
    form = CategoryCreateForm()
    general: list[str] = []
    if form.validate_on_submit():
        try:
            category = service.create_category(current_user, _form_data(
                form, ("code", "name", "name_en", "sort", "active")))
        except ValidationFailed as exc:
            general = _show_errors(form, exc)
        else:
            flash(_("Category %(code)s created.", code=category.code), "success")
            return redirect(url_for(".categories"))
    return _render_form("admin/category_form.html", form, general, category=None)


@bp.route("/categories/<int:category_id>/edit", methods=["GET", "POST"])
def category_edit(category_id: int):
    category = service.get_category(category_id)
    form = CategoryForm(obj=category)
    general: list[str] = []
    if form.validate_on_submit():
        try:
            service.update_category(current_user, category_id, _form_data(
                form, ("name", "name_en", "sort", "active")))
        except ValidationFailed as exc:
            general = _show_errors(form, exc)
        else:
            flash(_("Category %(code)s saved.", code=category.code), "success")
            return redirect(url_for(".categories"))
    return _render_form("admin/category_form.html", form, general, category=category)


# ---------------------------------------------------------------- users

def _agency_choices(include_id: int | None = None) -> list[SelectChoice]:
    """Active agencies (plus the user's current one, even if inactive) for the select."""
    english = select_locale() == "en"
    choices = [SelectChoice("", _("— none —"))]
    for agency in service.list_agencies():
        if agency.active or agency.id == include_id:
            name = (agency.name_en or agency.name) if english else agency.name
            if not agency.active:
                name += " (" + _("inactive") + ")"
            choices.append(SelectChoice(str(agency.id), name))
    return choices


USER_FIELDS = ("full_name", "role", "agency_id", "email", "phone", "active")


@bp.get("/users")
def users():
    filters = service.UserFilters(page=_page_arg(), per_page=PER_PAGE)
    role = request.args.get("role") or None
    filters.role = role if role in ROLES else None
    try:
        filters.agency_id = int(request.args.get("agency") or 0) or None
    except ValueError:
        filters.agency_id = None
    active = request.args.get("active")
    filters.active = {"1": True, "0": False}.get(active or "")
    filters.q = (request.args.get("q") or "").strip()[:80] or None
    rows, total = service.list_users(filters)
    return render_template("admin/users.html", users=rows, total=total, filters=filters,
                           page=filters.page, pages=_pages(total), roles=ROLES,
                           agencies=service.list_agencies())


@bp.route("/users/new", methods=["GET", "POST"])
def user_new():
    form = UserCreateForm()
    form.agency_id.choices = _agency_choices()
    general: list[str] = []
    if form.validate_on_submit():
        try:
            user = service.create_user(current_user, _form_data(
                form, ("username", "password") + USER_FIELDS))
        except ValidationFailed as exc:
            general = _show_errors(form, exc)
        else:
            flash(_("User %(username)s created.", username=user.username), "success")
            return redirect(url_for(".users"))
    return _render_form("admin/user_form.html", form, general, user=None, password_form=None)


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
def user_edit(user_id: int):
    user = service.get_user(user_id)
    form = UserForm(obj=user)
    form.agency_id.choices = _agency_choices(user.agency_id)
    if request.method == "GET":
        form.agency_id.data = str(user.agency_id) if user.agency_id else ""
    general: list[str] = []
    if form.validate_on_submit():
        try:
            service.update_user(current_user, user_id, _form_data(form, USER_FIELDS))
        except ValidationFailed as exc:
            general = _show_errors(form, exc)
        else:
            flash(_("User %(username)s saved.", username=user.username), "success")
            return redirect(url_for(".users"))
    return _render_form("admin/user_form.html", form, general, user=user,
                        password_form=PasswordResetForm(formdata=None))


@bp.post("/users/<int:user_id>/password")
def user_password(user_id: int):
    user = service.get_user(user_id)
    password_form = PasswordResetForm()
    general: list[str] = []
    if password_form.validate_on_submit():
        try:
            service.reset_password(current_user, user_id, password_form.password.data,
                                   password_form.confirm.data)
        except ValidationFailed as exc:
            general = _show_errors(password_form, exc)
        else:
            flash(_("The password of %(username)s was reset.", username=user.username), "success")
            return redirect(url_for(".user_edit", user_id=user_id))
    form = UserForm(obj=user, formdata=None)
    form.agency_id.choices = _agency_choices(user.agency_id)
    form.agency_id.data = str(user.agency_id) if user.agency_id else ""
    return render_template("admin/user_form.html", form=form, general_errors=general, user=user,
                           password_form=password_form), 422


# ---------------------------------------------------------------- SLA policies

@bp.get("/sla")
def sla():
    return render_template("admin/sla.html", policies=service.list_sla_policies())


@bp.route("/sla/new", methods=["GET", "POST"])
def sla_new():
    form = SlaPolicyCreateForm()
    general: list[str] = []
    if form.validate_on_submit():
        try:
            changed = service.update_sla_policy(current_user, form.phase.data, form.working.data,
                                                form.dayoff.data, form.apply_to_running.data,
                                                new=True)
        except ValidationFailed as exc:
            general = _show_errors(form, exc)
        else:
            _flash_sla_saved(form.phase.data.strip(), changed)
            return redirect(url_for(".sla"))
    return _render_form("admin/sla_form.html", form, general, policy=None)


@bp.route("/sla/<phase>/edit", methods=["GET", "POST"])
def sla_edit(phase: str):
    policy = service.get_sla_policy(phase)
    form = SlaPolicyForm(data={"working": policy.working, "dayoff": policy.dayoff})
    general: list[str] = []
    if form.validate_on_submit():
        try:
            changed = service.update_sla_policy(current_user, phase, form.working.data,
                                                form.dayoff.data, form.apply_to_running.data)
        except ValidationFailed as exc:
            general = _show_errors(form, exc)
        else:
            _flash_sla_saved(phase, changed)
            return redirect(url_for(".sla"))
    return _render_form("admin/sla_form.html", form, general, policy=policy)


def _flash_sla_saved(phase: str, changed: int | None) -> None:
    flash(_("SLA policy for %(phase)s saved.", phase=phase), "success")
    if changed is not None:
        flash(ngettext("%(num)d pending deadline of running cases recomputed.",
                       "%(num)d pending deadlines of running cases recomputed.", changed), "info")


# ---------------------------------------------------------------- calendar

def _year_arg() -> int:
    today = service.today_local()
    try:
        year = int(request.args.get("year") or today.year)
    except ValueError:
        return today.year
    return year if 2000 <= year <= 2100 else today.year


@bp.route("/calendar", methods=["GET", "POST"])
def calendar():
    year = _year_arg()
    form = CalendarDayForm()
    general: list[str] = []
    if form.validate_on_submit():
        try:
            changed = service.declare_calendar_day(current_user, form.day.data, form.kind.data,
                                                   form.note.data)
        except ValidationFailed as exc:
            general = _show_errors(form, exc)
        else:
            day = form.day.data
            flash(_("%(day)s declared: %(kind)s.", day=day.strftime("%d/%m/%Y"),
                    kind=CALENDAR_KIND_LABELS.get(form.kind.data, form.kind.data)), "success")
            if changed:
                flash(ngettext("%(num)d pending deadline of running cases recomputed.",
                       "%(num)d pending deadlines of running cases recomputed.", changed),
                      "info")
            return redirect(url_for(".calendar", year=day.year))
    status = 422 if request.method == "POST" else 200
    return render_template("admin/calendar.html", form=form, general_errors=general, year=year,
                           days=service.list_calendar_days(year),
                           holidays=service.national_holidays(year, select_locale())), status


@bp.post("/calendar/<day>/remove")
def calendar_remove(day: str):
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        abort(404)
    changed = service.remove_calendar_day(current_user, parsed)
    flash(_("%(day)s withdrawn; it follows the national calendar again.",
            day=parsed.strftime("%d/%m/%Y")), "success")
    if changed:
        flash(ngettext("%(num)d pending deadline of running cases recomputed.",
                       "%(num)d pending deadlines of running cases recomputed.", changed), "info")
    return redirect(url_for(".calendar", year=parsed.year))


# ---------------------------------------------------------------- audit log

@bp.get("/audit")
def audit():
    page = _page_arg()
    action = request.args.get("action") or None
    if action not in service.audit_actions():
        action = None
    rows, total = service.audit_log_page(page, PER_PAGE, action)
    return render_template("admin/audit.html", entries=rows, total=total, page=page,
                           pages=_pages(total), action=action, actions=service.audit_actions())
