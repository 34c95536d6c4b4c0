"""Admin screens for staff accounts: the filtered list, create, edit, password reset."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from ...i18n import select_locale
from ...models import ROLES
from ...services.administration.reference_data import list_agencies
from ...services.administration.users import (UserFilters, create_user, get_user, list_users,
                                              reset_password, update_user)
from ...services.errors import ValidationFailed
from ..admin_forms import ROLE_LABELS, PasswordResetForm, UserCreateForm, UserForm
from .base import PER_PAGE, bp, form_data, page_arg, pages, render_form, show_errors

USER_FIELDS = ("full_name", "role", "agency_id", "email", "phone", "active")


@bp.context_processor
def _labels():
    return {"role_labels": ROLE_LABELS}


def _agency_choices(include_id: int | None = None) -> list[SelectChoice]:
    """Active agencies (plus the user's current one, even if inactive) for the select."""
    english = select_locale() == "en"
    choices = [SelectChoice("", _("— none —"))]
    for agency in list_agencies():
        if agency.active or agency.id == include_id:
            name = (agency.name_en or agency.name) if english else agency.name
            if not agency.active:
                name += " (" + _("inactive") + ")"
            choices.append(SelectChoice(str(agency.id), name))
    return choices


@bp.get("/users")
def users():
    filters = UserFilters(page=page_arg(), per_page=PER_PAGE)
    role = request.args.get("role") or None
    filters.role = role if role in ROLES else None
    try:
        filters.agency_id = int(request.args.get("agency") or 0) or None
    except ValueError:
        filters.agency_id = None
    active = request.args.get("active")
    filters.active = {"1": True, "0": False}.get(active or "")
    filters.q = (request.args.get("q") or "").strip()[:80] or None
    rows, total = list_users(filters)
    return render_template("admin/users.html", users=rows, total=total, filters=filters,
                           page=filters.page, pages=pages(total), roles=ROLES,
                           agencies=list_agencies())


@bp.route("/users/new", methods=["GET", "POST"])
def user_new():
    form = UserCreateForm()
    form.agency_id.choices = _agency_choices()
    general: list[str] = []
    if form.validate_on_submit():
        try:
            user = create_user(current_user, form_data(
                form, ("username", "password") + USER_FIELDS))
        except ValidationFailed as exc:
            general = show_errors(form, exc)
        else:
            flash(_("User %(username)s created.", username=user.username), "success")
            return redirect(url_for(".users"))
    return render_form("admin/user_form.html", form, general, user=None, password_form=None)


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
def user_edit(user_id: int):
    user = get_user(user_id)
    form = UserForm(obj=user)
    form.agency_id.choices = _agency_choices(user.agency_id)
    if request.method == "GET":
        form.agency_id.data = str(user.agency_id) if user.agency_id else ""
    general: list[str] = []
    if form.validate_on_submit():
        try:
            update_user(current_user, user_id, form_data(form, USER_FIELDS))
        except ValidationFailed as exc:
            general = show_errors(form, exc)
        else:
            flash(_("User %(username)s saved.", username=user.username), "success")
            return redirect(url_for(".users"))
    return render_form("admin/user_form.html", form, general, user=user,
                       password_form=PasswordResetForm(formdata=None))


@bp.post("/users/<int:user_id>/password")
def user_password(user_id: int):
    user = get_user(user_id)
    password_form = PasswordResetForm()
    general: list[str] = []
    if password_form.validate_on_submit():
        try:
            reset_password(current_user, user_id, password_form.password.data,
                           password_form.confirm.data)
        except ValidationFailed as exc:
            general = show_errors(password_form, exc)
        else:
            flash(_("The password of %(username)s was reset.", username=user.username), "success")
            return redirect(url_for(".user_edit", user_id=user_id))
    form = UserForm(obj=user, formdata=None)
    form.agency_id.choices = _agency_choices(user.agency_id)
    form.agency_id.data = str(user.agency_id) if user.agency_id else ""
    return render_template("admin/user_form.html", form=form, general_errors=general, user=user,
                           password_form=password_form), 422
