"""One form per BPMN form key: dispatch, handle, publish."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from .messages import REQUIRED, choices

REJECT_REASONS = [
    ("spam", _l("Spam, advertising or inappropriate content")),
    ("duplicate", _l("Duplicate of another report")),
    ("not_field_report", _l("Not a field report")),
    ("insufficient_info", _l("Not enough information to handle")),
]


def _require(field, message=REQUIRED) -> bool:
    if field.data in (None, "") or (isinstance(field.data, str) and not field.data.strip()):
        field.errors = list(field.errors) + [message]
        return False
    return True


def _min_length(field, low: int) -> bool:
    if field.data and len(field.data.strip()) < low:
        field.errors = list(field.errors) + [_l("Enter at least %(n)s characters.", n=low)]
        return False
    return True


class TaskForm(FlaskForm):
    """Base of the task forms: `prepare` receives the view's choices and the case."""

    form_key = ""

    def prepare(self, *, agencies=None, case=None) -> TaskForm:
        return self

    def service_data(self) -> dict:
        raise NotImplementedError


class DispatchForm(TaskForm):
    """The portal sends the report to an agency, or rejects it with a reason."""

    form_key = "dispatch"
    action = RadioField(_l("Decision"), id="action", choices=choices([
        ("dispatch", _l("Send to an agency")), ("reject", _l("Reject the report"))]),
        validators=[InputRequired(message=_l("Choose a decision."))])
    agency = SelectField(_l("Handling agency"), id="agency", choices=[], validate_choice=False)
    urgent = BooleanField(_l("Urgent: contact the agency's leader now"), id="urgent")
    note = TextAreaField(_l("Note for the agency"), id="note",
                         validators=[Optional(), Length(max=2000)], render_kw={"rows": 3})
    reject_reason = SelectField(_l("Reason for rejecting"), id="reject_reason",
                                choices=choices([("", _l("— choose a reason —"))] + REJECT_REASONS),
                                validate_choice=False)
    duplicate_of = StringField(_l("Tracking code of the original report"), id="duplicate_of",
                               validators=[Optional(), Length(max=20)],
                               render_kw={"placeholder": "CM-XXXX-XXXX", "autocapitalize": "characters"})

    def prepare(self, *, agencies=None, case=None) -> DispatchForm:
        self.agency.choices = choices([("", _l("— choose an agency —"))] + list(agencies or []))
        if case is not None and not self.is_submitted() and case.get("urgent"):
            self.urgent.data = True
        return self

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.action.data == "dispatch":
            ok = _require(self.agency, _l("Choose an agency.")) and ok
        elif self.action.data == "reject":
            ok = _require(self.reject_reason, _l("Choose a reason.")) and ok
            if self.reject_reason.data == "duplicate":
                ok = _require(self.duplicate_of, _l("Give the tracking code of the original report.")) and ok
        return ok

    def service_data(self) -> dict:
        if self.action.data == "reject":
            return {"action": "reject", "reject_reason": self.reject_reason.data,
                    "duplicate_of": (self.duplicate_of.data or "").strip().upper() or None,
                    "note": self.note.data or None}
        return {"action": self.action.data, "agency": self.agency.data,
                "urgent": bool(self.urgent.data), "note": self.note.data or None}


class HandleForm(TaskForm):
    """The agency resolves the report, or returns it as not within its competence."""

    form_key = "handle"
    action = RadioField(_l("Outcome"), id="action", choices=choices([
        ("resolve", _l("Handled: report the result")),
        ("return", _l("Not within our competence: return to the portal"))]),
        validators=[InputRequired(message=_l("Choose an outcome."))])
    result = TextAreaField(_l("Result of the handling"), id="result",
                           validators=[Optional(), Length(max=5000)],
                           description=_l("What was done; the portal uses it to reply to the reporter."),
                           render_kw={"rows": 6})
    return_reason = TextAreaField(_l("Why it is not within your competence"), id="return_reason",
                                  validators=[Optional(), Length(max=2000)],
                                  description=_l("Suggest the competent agency if you know it."),
                                  render_kw={"rows": 3})

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.action.data == "resolve":
            ok = _require(self.result) and _min_length(self.result, 5) and ok
        elif self.action.data == "return":
            ok = _require(self.return_reason) and _min_length(self.return_reason, 5) and ok
        return ok

    def service_data(self) -> dict:
        if self.action.data == "return":
            return {"action": "return", "return_reason": self.return_reason.data}
        return {"action": self.action.data, "result": self.result.data}


class PublishForm(TaskForm):
    """The portal's reply to the reporter: an empty box beside the agency's result (shown on the
    task page), so that an unedited internal text is never published by accident."""

    form_key = "publish"
    public_response = TextAreaField(_l("Reply to the reporter"), id="public_response",
                                    validators=[InputRequired(message=REQUIRED),
                                                Length(min=5, max=5000,
                                                       message=_l("Between 5 and 5000 characters."))],
                                    description=_l("Shown on the public tracking page and "
                                                   "e-mailed to the reporter if they gave an address."),
                                    render_kw={"rows": 8})

    def service_data(self) -> dict:
        return {"public_response": self.public_response.data}
