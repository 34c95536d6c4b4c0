"""The citizen's report."""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, EmailField, HiddenField, MultipleFileField, SelectField,
                     StringField, TelField, TextAreaField)
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from .messages import REQUIRED, choices

PHONE = re.compile(r"^\s*(\+?84|0)[\d\s.\-()]{8,14}\s*$")
EMAIL = re.compile(r"^\s*[^@\s]+@[^@\s]+\.[^@\s]+\s*$")  # same rule as the service


def _coordinate(low: float, high: float):
    def check(form, field):
        if field.data in (None, ""):
            return
        try:
            value = float(field.data)
        except (TypeError, ValueError):
            raise ValidationError(_l("Enter a number.")) from None
        if not low <= value <= high:
            raise ValidationError(_l("The location is not valid."))
    return check


class ReportForm(FlaskForm):
    """Name and phone are required (the portal may call back); consent is off by default."""

    full_name = StringField(_l("Your full name"), id="full_name", validators=[
        DataRequired(message=REQUIRED),
        Length(min=2, max=120, message=_l("Between 2 and 120 characters."))],
        render_kw={"autocomplete": "name", "maxlength": 120})
    phone = TelField(_l("Phone number"), id="phone", validators=[
        DataRequired(message=REQUIRED),
        Regexp(PHONE, message=_l("Enter a Vietnamese phone number, e.g. 0912 345 678."))],
        description=_l("The portal may call you to clarify the report."),
        render_kw={"autocomplete": "tel", "inputmode": "tel", "maxlength": 20})
    email = EmailField(_l("E-mail (optional)"), id="email", validators=[
        Optional(), Regexp(EMAIL, message=_l("Enter a valid e-mail address.")), Length(max=200)],
        description=_l("If you give an address, the reply is also sent to you by e-mail."),
        render_kw={"autocomplete": "email", "maxlength": 200})
    category = SelectField(_l("Topic"), id="category", choices=[],
                           validators=[DataRequired(message=_l("Choose a topic."))],
                           validate_choice=False)
    district = SelectField(_l("District (optional)"), id="district", choices=[],
                           validate_choice=False,
                           description=_l("Leave empty if you are not sure."))
    description = TextAreaField(_l("What is the problem?"), id="description", validators=[
        DataRequired(message=REQUIRED),
        Length(min=10, max=5000, message=_l("Between 10 and 5000 characters."))],
        description=_l("Describe what you saw, when, and who is affected."),
        render_kw={"rows": 6, "maxlength": 5000})
    address = StringField(_l("Address or place"), id="address",
                          validators=[Optional(), Length(max=300)],
                          description=_l("Street, hamlet, ward or commune, district."),
                          render_kw={"autocomplete": "street-address", "maxlength": 300})
    lat = HiddenField(_l("Latitude"), id="lat", validators=[_coordinate(-90, 90)])
    lon = HiddenField(_l("Longitude"), id="lon", validators=[_coordinate(-180, 180)])
    urgent = BooleanField(_l("This is urgent: people or property are in danger right now"),
                          id="urgent", default=False)
    photos = MultipleFileField(_l("Photos (optional)"), id="photos",
                               description=_l("Up to 3 photos, JPEG or PNG, at most 5 MB each. "
                                              "Location data in the photos is removed."),
                               render_kw={"accept": "image/jpeg,image/png"})
    consent_share_identity = BooleanField(
        _l("I agree that the handling agency may see my name and phone"),
        id="consent_share_identity", default=False,
        description=_l("Without your consent only the provincial portal sees your name and phone."))
    idempotency_key = HiddenField(id="idempotency_key")

    def set_categories(self, categories: list[tuple[str, str]]) -> ReportForm:
        """(code, label) pairs from the view, with an empty first choice."""
        self.category.choices = choices([("", _l("— choose a topic —"))] + list(categories))
        return self

    def set_districts(self, districts: list[tuple[str, str]]) -> ReportForm:
        """(code, label) pairs from the view, with an empty first choice (not known)."""
        self.district.choices = choices([("", _l("— not sure —"))] + list(districts))
        return self

    def validate_lon(self, field):
        if bool(self.lat.data) != bool(field.data):
            raise ValidationError(_l("The location is not complete; press the button again."))

    def service_data(self) -> dict:
        """The dict `services.reports.submit_report` takes."""
        return {"full_name": self.full_name.data, "phone": self.phone.data,
                "email": self.email.data or None, "category": self.category.data,
                "district": self.district.data or None,
                "description": self.description.data, "address": self.address.data or None,
                "lat": self.lat.data or None, "lon": self.lon.data or None,
                "urgent": bool(self.urgent.data),
                "consent_share_identity": bool(self.consent_share_identity.data)}
