"""Admin screen for Open311 API keys: issue (shown once), list, revoke."""
from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField

from ...services.errors import ValidationFailed
from ...services.open311.keys import creator_names, issue_key, list_keys, revoke_key
from .base import bp, render_form, show_errors


class Open311KeyForm(FlaskForm):
    name = StringField(_l("Key name"), description=_l("Who uses it, e.g. the city's 311 app"))


class Open311RevokeForm(FlaskForm):
    """Only the CSRF token: revoking is a POST."""


@bp.route("/open311-keys", methods=["GET", "POST"])
def open311_keys():
    form = Open311KeyForm()
    general: list[str] = []
    new_key = None
    if form.validate_on_submit():
        try:
            row, plain = issue_key(current_user, form.name.data)
        except ValidationFailed as exc:
            general = show_errors(form, exc)
        else:
            new_key = {"name": row.name, "key": plain}  # shown on this page only, never again
            form = Open311KeyForm(formdata=None)
    keys = list_keys()
    return render_form("admin/open311_keys.html", form, general, keys=keys, new_key=new_key,
                       names=creator_names(keys), revoke_form=Open311RevokeForm())


@bp.post("/open311-keys/<int:key_id>/revoke")
def open311_key_revoke(key_id: int):
    if Open311RevokeForm().validate_on_submit():
        row = revoke_key(current_user, key_id)
        flash(_("Open311 key %(name)s revoked.", name=row.name), "success")
    return redirect(url_for(".open311_keys"))
