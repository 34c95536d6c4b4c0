"""Staff sign-in."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from .messages import REQUIRED


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), id="username",
                           validators=[DataRequired(message=REQUIRED), Length(max=80)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none",
                                      "spellcheck": "false"})
    password = PasswordField(_l("Password"), id="password",
                             validators=[DataRequired(message=REQUIRED), Length(max=200)],
                             render_kw={"autocomplete": "current-password"})
