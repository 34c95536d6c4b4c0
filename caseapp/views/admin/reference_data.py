"""Admin screens for the reference data: agencies, categories and districts."""
from __future__ import annotations

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
# Both are a code, a name in each language, an order and a switch: one pair of templates, told
# by `screen` what they list.

_CATEGORIES = {"key": "category", "nav": "categories", "list": "admin.categories",
               "new": "admin.category_new", "edit": "admin.category_edit", "id_arg": "category_id"}
_DISTRICTS = {"key": "district", "nav": "districts", "list": "admin.districts",
              "new": "admin.district_new", "edit": "admin.district_edit", "id_arg": "district_id"}


@bp.get("/categories")
def categories():
    return render_template("admin/categories.html", categories=list_categories(),
                           screen=_CATEGORIES)


@bp.route("/categories/new", methods=["GET", "POST"])
def category_new():
    form = CategoryCreateForm()
    general: list[str] = []
    if form.validate_on_submit():
        try:
            category = create_category(current_user, form_data(
                form, ("code", "name", "name_en", "sort", "active")))
        except ValidationFailed as exc:
            general = show_errors(form, exc)
        else:
            flash(_("Category %(code)s created.", code=category.code), "success")
            return redirect(url_for(".categories"))
    return render_form("admin/category_form.html", form, general, category=None,
                       screen=_CATEGORIES)


@bp.route("/categories/<int:category_id>/edit", methods=["GET", "POST"])
def category_edit(category_id: int):
    category = get_category(category_id)
    form = CategoryForm(obj=category)
    general: list[str] = []
    if form.validate_on_submit():
        try:
            update_category(current_user, category_id, form_data(
                form, ("name", "name_en", "sort", "active")))
        except ValidationFailed as exc:
            general = show_errors(form, exc)
        else:
            flash(_("Category %(code)s saved.", code=category.code), "success")
            return redirect(url_for(".categories"))
    return render_form("admin/category_form.html", form, general, category=category,
                       screen=_CATEGORIES)


@bp.get("/districts")
def districts():
    return render_template("admin/categories.html", categories=list_districts(),
                           screen=_DISTRICTS)


@bp.route("/districts/new", methods=["GET", "POST"])
def district_new():
    form = DistrictCreateForm()
    general: list[str] = []
    if form.validate_on_submit():
        try:
            district = create_district(current_user, form_data(
                form, ("code", "name", "name_en", "sort", "active")))
        except ValidationFailed as exc:
            general = show_errors(form, exc)
        else:
            flash(_("District %(code)s created.", code=district.code), "success")
            return redirect(url_for(".districts"))
    return render_form("admin/category_form.html", form, general, category=None,
                       screen=_DISTRICTS)


@bp.route("/districts/<int:district_id>/edit", methods=["GET", "POST"])
def district_edit(district_id: int):
    district = get_district(district_id)
    form = DistrictForm(obj=district)
    general: list[str] = []
    if form.validate_on_submit():
        try:
            update_district(current_user, district_id, form_data(
                form, ("name", "name_en", "sort", "active")))
        except ValidationFailed as exc:
            general = show_errors(form, exc)
        else:
            flash(_("District %(code)s saved.", code=district.code), "success")
            return redirect(url_for(".districts"))
    return render_form("admin/category_form.html", form, general, category=district,
                       screen=_DISTRICTS)
