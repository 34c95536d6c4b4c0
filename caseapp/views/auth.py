"""Staff login and logout."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user

from forms.auth import LoginForm

from ..extensions import db, limiter, login_manager
from ..models import User
from ..services.accounts.auth import authenticate
from ..services.errors import ServiceError
from .redirects import local_url

bp = Blueprint("auth", __name__)

HOME_BY_ROLE = {"operator": "work.queue", "supervisor": "work.queue", "officer": "work.queue",
                "leader": "work.queue", "monitor": "leader.overview", "designer": "process.index",
                "admin": "admin.index"}


def load_user(session_id: str):
    """Flask-Login's loader: only active accounts keep their session, and only until the account
    signs out, gets a new password or is disabled (User.get_id carries the session version)."""
    user_id, _sep, version = str(session_id).partition(":")
    try:
        user_id, version = int(user_id), int(version)
    except ValueError:
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.active or user.session_version != version:
        return None
    return user


def home_for(user) -> str:
    """Each role lands on its own page (agency leaders on their agency's overview)."""
    if user.role == "leader" and "leader.overview" in current_app.view_functions:
        return url_for("leader.overview")
    return url_for(HOME_BY_ROLE.get(user.role, "public.index"))


# Staff pages send anonymous visitors (or an expired session) to the sign-in page.
login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to open this page."  # translated by localize_callback
login_manager.login_message_category = "warning"
login_manager.localize_callback = _


@bp.before_app_request
def _fresh_user() -> None:
    """Load the user from this request's session, never from a `g` shared with an earlier
    request (an app context that outlives requests, as in tests, would otherwise leak it)."""
    g.pop("_login_user", None)


def _sign_in_msgids():  # pragma: no cover - only here so pybabel extracts the msgid
    _("Please sign in to open this page.")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("60 per minute", methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        try:
            user = authenticate(form.username.data, form.password.data, get_remote_address())
        except ServiceError as exc:
            error = _("Too many failed attempts; try again in 15 minutes.") \
                if exc.code == "locked_out" else _("Wrong username or password.")
        else:
            lang = session.get("lang")
            session.clear()
            if lang:
                session["lang"] = lang
            login_user(user)
            session.permanent = True
            return redirect(local_url(request.args.get("next"), home_for(user)))
    return render_template("auth/login.html", form=form, error=error), 401 if error else 200


@bp.post("/logout")
@login_required
def logout():
    """Sign out everywhere: this cookie, copies of it and the account's API tokens stop working."""
    lang = session.get("lang")
    current_user.end_sessions()
    db.session.commit()
    logout_user()
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("You have been signed out."))
    return redirect(url_for("auth.login"))
