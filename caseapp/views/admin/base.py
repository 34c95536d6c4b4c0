"""The admin blueprint, its admin-only guard, the home screen and the helpers every admin form uses."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from ...services.errors import ValidationFailed
from ..paging import page_number

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


# ---------------------------------------------------------------- helpers

def show_errors(form, exc: ValidationFailed) -> list[str]:
    """Put a service's field errors on the form's fields; return the ones without a field."""
    general = []
    for name, messages in (exc.fields or {}).items():
        translated = [_(m) for m in messages]
        field = form[name] if name in form else None
        if field is not None:
            field.errors = list(field.errors or []) + translated
        else:
            general += translated
    if not exc.fields:
        general.append(_(exc.message))
    return general


def page_arg() -> int:
    """The admin lists' page number."""
    return page_number()


def pages(total: int, per_page: int = PER_PAGE) -> int:
    return max((total + per_page - 1) // per_page, 1)


def form_data(form, names) -> dict:
    return {name: form[name].data for name in names}


def render_form(template: str, form, general: list[str], **context):
    """A form page: 422 when the submission had errors, so clients and tests can tell."""
    failed = request.method == "POST" and (bool(general) or bool(form.errors))
    return render_template(template, form=form, general_errors=general, **context), \
        422 if failed else 200


# ---------------------------------------------------------------- home

@bp.get("/")
def index():
    return render_template("admin/index.html")
