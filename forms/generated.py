"""A WTForms form built from the fields a user task declares in camunda:formData.

Takes the engine's TaskFormSpec (plain data); no database access. The checks mirror
services.cases.task_forms.clean_fields, which checks the submission again.
"""
from __future__ import annotations

import re
from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import StopValidation, ValidationError
from wtforms.widgets import DateInput, NumberInput

from .messages import REQUIRED, choices
from .tasks import TaskForm

SINGLE_LINE_MAX = 200  # text fields allowing more than this are drawn as a text area
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INTEGER = re.compile(r"^[+-]?\d{1,18}$")


class GeneratedTaskForm(TaskForm):
    """Base of the generated forms: `field_specs` lists the engine's field specs, in order."""

    field_specs: tuple = ()

    def service_data(self) -> dict:
        return {spec.id: _typed(spec, self[spec.id].data) for spec in self.field_specs}


def generated_form_class(form_spec, language: str = "vi") -> type[GeneratedTaskForm]:
    """A form class for a TaskFormSpec; labels in `language` (English from label_en if any)."""
    attributes = {"form_key": form_spec.key, "field_specs": tuple(form_spec.fields)}
    for spec in form_spec.fields:
        label = spec.label_en if language == "en" and spec.label_en else spec.label
        attributes[spec.id] = _field(spec, label)
    return type("GeneratedForm", (GeneratedTaskForm,), attributes)


def _field(spec, label):
    if spec.type == "boolean":
        return BooleanField(label, id=spec.id, default=bool(spec.default))
    validators = [_required if spec.required else _optional]
    default = None if spec.default is None else str(spec.default)
    if spec.type == "long":
        return StringField(label, id=spec.id, default=default,
                           widget=NumberInput(step=1, min=spec.min, max=spec.max),
                           validators=validators + [_whole_number(spec.min, spec.max)],
                           render_kw={"inputmode": "numeric"})
    if spec.type == "date":
        return StringField(label, id=spec.id, default=default, widget=DateInput(),
                           validators=validators + [_iso_date])
    if spec.type == "enum":
        options = [("", _l("— choose —"))] + list(spec.options)
        return SelectField(label, id=spec.id, default=default, choices=choices(options),
                           validate_choice=False,
                           validators=validators + [_one_of([key for key, _ in spec.options])])
    text_class = TextAreaField if (spec.maxlength or 10 ** 9) > SINGLE_LINE_MAX else StringField
    render_kw = {"rows": 4} if text_class is TextAreaField else {}
    if spec.maxlength:
        render_kw["maxlength"] = spec.maxlength
    return text_class(label, id=spec.id, default=default, render_kw=render_kw,
                      filters=[lambda value: value.strip() if isinstance(value, str) else value],
                      validators=validators + [_length(spec.minlength, spec.maxlength)])


def _typed(spec, value):
    """What the service receives: int for a whole number, bool, or the text (None when empty)."""
    if spec.type == "boolean":
        return bool(value)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if spec.type == "long" and _INTEGER.match(value.strip()):
        return int(value)
    return value.strip() if isinstance(value, str) else value


# -- validators ---------------------------------------------------------------------------------

def _empty(field) -> bool:
    return field.data is None or (isinstance(field.data, str) and not field.data.strip())


def _required(form, field):
    if _empty(field):
        raise StopValidation(REQUIRED)


def _optional(form, field):
    if _empty(field):
        field.errors[:] = []
        raise StopValidation()


def _whole_number(low, high):
    def check(form, field):
        text = field.data.strip()
        if not _INTEGER.match(text):
            raise ValidationError(_l("Enter a whole number."))
        number = int(text)
        if low is not None and high is not None and not low <= number <= high:
            raise ValidationError(_l("Enter a value between %(low)s and %(high)s.", low=low, high=high))
        if low is not None and number < low:
            raise ValidationError(_l("Enter a value of at least %(n)s.", n=low))
        if high is not None and number > high:
            raise ValidationError(_l("Enter a value of at most %(n)s.", n=high))
    return check


def _iso_date(form, field):
    text = field.data.strip()
    try:
        date.fromisoformat(text)
    except ValueError:
        raise ValidationError(_l("Enter a valid date.")) from None
    if not _DATE.match(text):
        raise ValidationError(_l("Enter a valid date."))


def _one_of(allowed):
    def check(form, field):
        if field.data not in allowed:
            raise ValidationError(_l("Choose one of the options."))
    return check


def _length(low, high):
    def check(form, field):
        if low is not None and len(field.data) < low:
            raise ValidationError(_l("Enter at least %(n)s characters.", n=low))
        if high is not None and len(field.data) > high:
            raise ValidationError(_l("Enter at most %(n)s characters.", n=high))
    return check
