"""Admin screens for the reference data: agencies, categories and districts."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...services.administration.reference_data import (create_agency, create_category,
                                                       create_district, get_agency, get_category,
                                                       get_district, list_agencies, list_categories,
                                                       list_districts, update_agency,
                                                       update_category, update_district)
from ...services.errors import ValidationFailed
from ..admin_forms import (AGENCY_KIND_LABELS, AgencyCreateForm, AgencyForm, CategoryCreateForm,
                           CategoryForm, DistrictCreateForm, DistrictForm)
from .base import bp, form_data, render_form, show_errors


@bp.context_processor
def _labels():
    return {"kind_labels": AGENCY_KIND_LABELS}


# ---------------------------------------------------------------- agencies

@bp.get("/agencies")
def agencies():
    return render_template("admin/agencies.html", agencies=list_agencies())


@bp.route("/agencies/new", methods=["GET", "POST"])
def agency_new():
    form = AgencyCreateForm()
    general: list[str] = []
    if form.validate_on_submit():
        try:
            agency = create_agency(current_user, form_data(
                form, ("code", "name", "name_en", "kind", "active")))
        except ValidationFailed as exc:
            general = show_errors(form, exc)
        else:
            flash(_("Agency %(code)s created.", code=agency.code), "success")
            return redirect(url_for(".agencies"))
    return render_form("admin/agency_form.html", form, general, agency=None)


@bp.route("/agencies/<int:agency_id>/edit", methods=["GET", "POST"])
def agency_edit(agency_id: int):
    agency = get_agency(agency_id)
    form = AgencyForm(obj=agency)
    general: list[str] = []
    if form.validate_on_submit():
        try:
            update_agency(current_user, agency_id, form_data(
                form, ("name", "name_en", "kind", "active")))
        except ValidationFailed as exc:
            general = show_errors(form, exc)
        else:
            flash(_("Agency %(code)s saved.", code=agency.code), "success")
            return redirect(url_for(".agencies"))
    return render_form("admin/agency_form.html", form, general, agency=agency)


# ---------------------------------------------------------------- categories and districts
# Both are a code, a name in each language, an order and a switch: one set of screens and one
# pair of templates, told by a `Screen` what they keep.

@dataclass(frozen=True)
class Screen:
    key: str          # "category" / "district": element ids and the audit's kind
    nav: str          # the admin_nav entry
    list: str         # endpoints
    new: str
    edit: str
    id_arg: str
    rows: Callable
    get: Callable
    create: Callable
    update: Callable
    form: type
    create_form: type
    created: Callable[[str], str]   # the flash messages, in the page's language
    saved: Callable[[str], str]


_CATEGORIES = Screen(
    "category", "categories", "admin.categories", "admin.category_new", "admin.category_edit",
    "category_id", list_categories, get_category, create_category, update_category,
    CategoryForm, CategoryCreateForm,
    lambda code: _("Category %(code)s created.", code=code),
    lambda code: _("Category %(code)s saved.", code=code))
_DISTRICTS = Screen(
    "district", "districts", "admin.districts", "admin.district_new", "admin.district_edit",
    "district_id", list_districts, get_district, create_district, update_district,
    DistrictForm, DistrictCreateForm,
    lambda code: _("District %(code)s created.", code=code),
    lambda code: _("District %(code)s saved.", code=code))


def _list(screen: Screen):
    return render_template("admin/categories.html", categories=screen.rows(), screen=screen)


def _new(screen: Screen):
    form = screen.create_form()
    general: list[str] = []
    if form.validate_on_submit():
        try:
            row = screen.create(current_user, form_data(
                form, ("code", "name", "name_en", "sort", "active")))
        except ValidationFailed as exc:
            general = show_errors(form, exc)
        else:
            flash(screen.created(row.code), "success")
            return redirect(url_for(screen.list))
    return render_form("admin/category_form.html", form, general, category=None, screen=screen)


def _edit(screen: Screen, row_id: int):
    row = screen.get(row_id)
    form = screen.form(obj=row)
    general: list[str] = []
    if form.validate_on_submit():
        try:
            screen.update(current_user, row_id, form_data(form, ("name", "name_en", "sort", "active")))
        except ValidationFailed as exc:
            general = show_errors(form, exc)
        else:
            flash(screen.saved(row.code), "success")
            return redirect(url_for(screen.list))
    return render_form("admin/category_form.html", form, general, category=row, screen=screen)


@bp.get("/categories")
def categories():
    return _list(_CATEGORIES)


@bp.route("/categories/new", methods=["GET", "POST"])
def category_new():
    return _new(_CATEGORIES)


@bp.route("/categories/<int:category_id>/edit", methods=["GET", "POST"])
def category_edit(category_id: int):
    return _edit(_CATEGORIES, category_id)


@bp.get("/districts")
def districts():
    return _list(_DISTRICTS)


@bp.route("/districts/new", methods=["GET", "POST"])
def district_new():
    return _new(_DISTRICTS)


@bp.route("/districts/<int:district_id>/edit", methods=["GET", "POST"])
def district_edit(district_id: int):
    return _edit(_DISTRICTS, district_id)
