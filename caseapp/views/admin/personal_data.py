"""Admin screen for reporters' personal data: retention, purge, reporters' requests, disclosures."""
from __future__ import annotations

import json

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectChoice, StringField
from wtforms.validators import InputRequired, Length, Optional

from ...services.errors import ValidationFailed
from ...services.privacy.disclosure import DisclosureFilters, list_disclosures, usernames
from ...services.privacy.retention import purge_expired, retention_days, set_retention
from ...services.privacy.subject_requests import erase_for_phone, export_for_phone
from .base import PER_PAGE, bp, page_arg, pages, show_errors


class RetentionForm(FlaskForm):
    days = StringField(_l("Days after a case is closed or rejected"),
                       validators=[Optional(), Length(max=10)],
                       description=_l("Empty: identities are kept until a reporter asks for erasure."))


class PurgeForm(FlaskForm):
    """Only the CSRF token: purging takes no input."""


class SubjectRequestForm(FlaskForm):
    phone = StringField(_l("Reporter's phone number"),
                        validators=[InputRequired(message=_l("This field is required.")),
                                    Length(max=30)])
    action = RadioField(_l("Request"), choices=[
        SelectChoice("export", _l("Export everything held about this phone number (JSON)")),
        SelectChoice("erase", _l("Erase the reporter's name, phone and e-mail from every case"))],
        default="export", validators=[InputRequired(message=_l("This field is required."))])
    confirm = BooleanField(_l("I confirm the erasure: it cannot be undone."))


def _page(retention_form=None, purge_form=None, request_form=None, general=None, status=200):
    filters = DisclosureFilters(tracking_code=(request.args.get("case") or "").strip()[:20] or None,
                                username=(request.args.get("user") or "").strip()[:120] or None,
                                page=page_arg(), per_page=PER_PAGE)
    rows, total = list_disclosures(filters)
    days = retention_days()
    retention_form = retention_form or RetentionForm(
        formdata=None, data={"days": "" if days is None else str(days)})
    return render_template(
        "admin/personal_data.html", retention_days=days, retention_form=retention_form,
        purge_form=purge_form or PurgeForm(formdata=None),
        request_form=request_form or SubjectRequestForm(formdata=None),
        general_errors=general or [], disclosures=rows, total=total, filters=filters,
        page=filters.page, pages=pages(total), usernames=usernames()), status


@bp.get("/personal-data")
def personal_data():
    return _page()


@bp.post("/personal-data/retention")
def personal_data_retention():
    form = RetentionForm()
    if form.validate_on_submit():
        try:
            days = set_retention(current_user, (form.days.data or "").strip() or None)
        except ValidationFailed as exc:
            return _page(retention_form=form, general=show_errors(form, exc), status=422)
        if days is None:
            flash(_("Retention turned off: identities are kept until erased on request."), "success")
        else:
            flash(ngettext("Closed and rejected cases lose their reporter's identity %(num)d day "
                           "after closing.",
                           "Closed and rejected cases lose their reporter's identity %(num)d days "
                           "after closing.", days), "success")
        return redirect(url_for(".personal_data"))
    return _page(retention_form=form, status=422)


@bp.post("/personal-data/purge")
def personal_data_purge():
    form = PurgeForm()
    if not form.validate_on_submit():
        return _page(purge_form=form, status=422)
    count = purge_expired(current_user)
    flash(ngettext("%(num)d closed case lost its reporter's identity.",
                   "%(num)d closed cases lost their reporter's identity.", count), "success")
    return redirect(url_for(".personal_data"))


@bp.post("/personal-data/request")
def personal_data_request():
    form = SubjectRequestForm()
    if not form.validate_on_submit():
        return _page(request_form=form, status=422)
    if form.action.data == "erase" and not form.confirm.data:
        form.confirm.errors = [_("Tick the confirmation to erase.")]
        return _page(request_form=form, status=422)
    try:
        if form.action.data == "export":
            data = export_for_phone(current_user, form.phone.data)
        else:
            count = erase_for_phone(current_user, form.phone.data)
    except ValidationFailed as exc:
        return _page(request_form=form, general=show_errors(form, exc), status=422)
    if form.action.data == "export":
        response = make_response(json.dumps(data, ensure_ascii=False, indent=2))
        response.headers["Content-Type"] = "application/json; charset=utf-8"
        response.headers["Content-Disposition"] = 'attachment; filename="personal-data.json"'
        response.headers["Cache-Control"] = "no-store"
        return response
    flash(ngettext("The reporter's identity was removed from %(num)d case.",
                   "The reporter's identity was removed from %(num)d cases.", count), "success")
    return redirect(url_for(".personal_data"))
