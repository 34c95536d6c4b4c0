"""Forms of the admin screens (Flask-WTF, CSRF). They parse; the admin services validate the rules."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, IntegerField, PasswordField, SelectChoice, SelectField,
                     StringField)
from wtforms.validators import EqualTo, InputRequired, Length, Optional, Regexp, ValidationError

from ..i18n import ROLE_LABELS
from ..models import ROLES
from caseapp.calendar.sla import InvalidDuration, parse_duration

AGENCY_KIND_LABELS = {
    "department": _l("Provincial department"),
    "district": _l("District / city People's Committee"),
    "commune": _l("Commune People's Committee"),
    "other": _l("Other"),
}

CALENDAR_KIND_LABELS = {
    "day_off": _l("Day off"),
    "working": _l("Make-up working day"),
}

SLA_PHASE_LABELS = {
    "dispatch": _l("Receive and dispatch (portal)"),
    "handle": _l("Handle and respond (agency)"),
    "return": _l("Return a report outside the agency's competence"),
    "publish": _l("Send the result to the reporter (portal)"),
}

REQUIRED = _l("This field is required.")


def choices(labels: dict) -> list[SelectChoice]:
    """Select options from a {value: label} table."""
    return [SelectChoice(value, label) for value, label in labels.items()]

TOO_LONG = _l("This value is too long.")


class LocalDateField(DateField):
    """A date field whose parse error is translated (WTForms has no Vietnamese catalogue)."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_l("Enter a date as YYYY-MM-DD.")) from None


class WholeNumberField(IntegerField):
    """An integer field whose parse error is translated."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_l("Enter a whole number.")) from None


class AgencyForm(FlaskForm):
    """Edit an agency; its code is fixed once created."""

    name = StringField(_l("Name (Vietnamese)"), validators=[InputRequired(REQUIRED), Length(max=200, message=TOO_LONG)])
    name_en = StringField(_l("Name (English)"), validators=[Optional(), Length(max=200, message=TOO_LONG)])
    kind = SelectField(_l("Kind"), choices=choices(AGENCY_KIND_LABELS),
                       validate_choice=False)
    active = BooleanField(_l("Active (can receive reports)"), default=True)


class AgencyCreateForm(AgencyForm):
    code = StringField(_l("Code"), validators=[InputRequired(REQUIRED), Length(max=40, message=TOO_LONG)],
                       description=_l("Lowercase letters, digits and _; cannot be changed later."))


class CategoryForm(FlaskForm):
    name = StringField(_l("Name (Vietnamese)"), validators=[InputRequired(REQUIRED), Length(max=120, message=TOO_LONG)])
    name_en = StringField(_l("Name (English)"), validators=[Optional(), Length(max=120, message=TOO_LONG)])
    sort = WholeNumberField(_l("Sort order"), default=0, validators=[Optional()],
                        description=_l("Smaller numbers are listed first."))
    active = BooleanField(_l("Active (offered to citizens)"), default=True)


class CategoryCreateForm(CategoryForm):
    code = StringField(_l("Code"), validators=[InputRequired(REQUIRED), Length(max=40, message=TOO_LONG)],
                       description=_l("Lowercase letters, digits and _; cannot be changed later."))


class DistrictForm(CategoryForm):
    active = BooleanField(_l("Active (citizens can choose it)"), default=True)


class DistrictCreateForm(DistrictForm):
    code = StringField(_l("Code"), validators=[InputRequired(REQUIRED), Length(max=40, message=TOO_LONG)],
                       description=_l("Lowercase letters, digits and _; cannot be changed later."))


class UserForm(FlaskForm):
    """Edit a staff account; the username is fixed once created."""

    full_name = StringField(_l("Full name"), validators=[Optional(), Length(max=200, message=TOO_LONG)])
    role = SelectField(_l("Role"), choices=choices({r: ROLE_LABELS[r] for r in ROLES}),
                       validate_choice=False)
    agency_id = SelectField(_l("Agency"), choices=[], validate_choice=False,
                            description=_l("Required for agency officers and leaders; "
                                           "empty for every other role."))
    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=200, message=TOO_LONG)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=30, message=TOO_LONG)])
    active = BooleanField(_l("Active (may sign in)"), default=True)


class UserCreateForm(UserForm):
    username = StringField(_l("Username"), validators=[InputRequired(REQUIRED), Length(max=80, message=TOO_LONG)],
                           description=_l("Lowercase letters, digits, '.', '_' or '-'."))
    password = PasswordField(_l("Password"), validators=[InputRequired(REQUIRED)],
                             description=_l("At least 8 characters."))


class PasswordResetForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[InputRequired(REQUIRED)],
                             description=_l("At least 8 characters."))
    confirm = PasswordField(_l("Repeat the new password"),
                            validators=[InputRequired(REQUIRED),
                                        EqualTo("password", _l("The two passwords differ."))])


def iso_duration(form, field) -> None:
    """An ISO-8601 duration such as PT2H, PT1H30M or P1D."""
    try:
        parse_duration(field.data or "")
    except InvalidDuration:
        raise ValidationError(_l("Enter an ISO-8601 duration such as PT2H, PT1H30M or P1D.")) from None


class SlaPolicyForm(FlaskForm):
    working = StringField(_l("Deadline on a working day"),
                          validators=[InputRequired(REQUIRED), Length(max=40, message=TOO_LONG), iso_duration],
                          description=_l("ISO-8601 duration, e.g. PT2H = 2 hours, P1D = 1 day."))
    dayoff = StringField(_l("Deadline on a day off"),
                         validators=[InputRequired(REQUIRED), Length(max=40, message=TOO_LONG), iso_duration],
                         description=_l("ISO-8601 duration, e.g. PT12H = 12 hours."))
    label = StringField(_l("Label (Vietnamese)"), validators=[Optional(), Length(max=200, message=TOO_LONG)],
                        description=_l("What people read for this phase on case pages, breaches "
                                       "and notifications. Empty: the built-in label, else the phase name."))
    label_en = StringField(_l("Label (English)"), validators=[Optional(), Length(max=200, message=TOO_LONG)])
    apply_to_running = BooleanField(
        _l("Apply to running cases"),
        description=_l("Recompute the pending deadlines of this phase from their start."))


class SlaPolicyCreateForm(SlaPolicyForm):
    phase = StringField(_l("Phase"), validators=[
        InputRequired(REQUIRED), Length(max=40, message=TOO_LONG),
        Regexp(r"^\s*[a-z][a-z0-9_]*\s*$",
               message=_l("Use a lowercase letter, then lowercase letters, digits or _ (e.g. site_visit)."))],
                        description=_l("The name used in the process diagram, e.g. sla_due('site_visit')."))


class CalendarDayForm(FlaskForm):
    day = LocalDateField(_l("Date"), validators=[InputRequired(REQUIRED)],
                    format="%Y-%m-%d")
    kind = SelectField(_l("Kind"), choices=choices(CALENDAR_KIND_LABELS),
                       validate_choice=False)
    note = StringField(_l("Note"), validators=[Optional(), Length(max=200, message=TOO_LONG)])
