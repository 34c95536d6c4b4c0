"""The form of a user task: built-in (dispatch, handle, publish) or generated from camunda:formData.

One description serves the task page, the JSON API (`fields`), the validation of a submission,
the readable audit trail and the deploy check.
"""
from __future__ import annotations

import dataclasses
import re
from datetime import date

from flask_babel import gettext

from ...engine import (RESERVED_FUNCTION_NAMES, EngineError, FormFieldSpec, TaskFormSpec,
                      process_forms)
from ...i18n import DATE_FORMAT, current_language
from ..administration.script_functions import SCRIPT_FUNCTION_NAMES
from ..errors import NotFound, ValidationFailed
from .steps import BUILT_IN, is_built_in
from .validation import MSG_INVISIBLE, has_refused_characters, is_blank, parse_boolean

MAX_TEXT = 2000  # a generated text field without maxlength holds at most this many characters
# names a generated field may not take: what scripts call (the engine's own functions and the ones
# this app gives them), which a value of that name would hide, and the attributes of a WTForms form
RESERVED_FIELD_IDS = RESERVED_FUNCTION_NAMES | SCRIPT_FUNCTION_NAMES | frozenset({
    "csrf_token", "meta", "data", "errors", "form_errors", "validate", "process", "populate_obj",
    "hidden_tag", "is_submitted", "validate_on_submit", "form_key", "prepare", "service_data",
    "field_specs"})
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INTEGER = re.compile(r"^\s*[+-]?\d{1,18}\s*$")

# -- which form ---------------------------------------------------------------------------------

def form_for(process_version_id: int, bpmn_id: str, form_key: str | None) -> TaskFormSpec:
    """The form a user task shows: a built-in step's, or the fields its BPMN declares."""
    if is_built_in(form_key):
        return builtin_form(form_key)
    form = _runner(process_version_id).task_form(bpmn_id)
    if form is None or not form.fields or form.key != form_key:
        raise NotFound(f"no form is known for form key {form_key!r}")
    return _with_text_limits(form)


def builtin_form(form_key: str) -> TaskFormSpec:
    """A built-in step's fields (current language), as its step module describes them."""
    if not is_built_in(form_key):
        raise NotFound(f"no built-in form {form_key!r}")
    return TaskFormSpec(key=form_key, fields=BUILT_IN[form_key].fields())


def _runner(process_version_id: int):
    # imported here: administration.processes calls form_problems from this module at deploy
    from ..administration.processes import runner_for
    return runner_for(process_version_id)


def _with_text_limits(form: TaskFormSpec) -> TaskFormSpec:
    """Every generated text field gets an upper bound, so task data stays small."""
    fields = tuple(dataclasses.replace(f, maxlength=max(MAX_TEXT, f.minlength or 0))
                   if f.type == "string" and f.maxlength is None else f for f in form.fields)
    return dataclasses.replace(form, fields=fields)


# -- describing ---------------------------------------------------------------------------------

def field_label(field: FormFieldSpec) -> str:
    """The field's label in the request's language (English from label_en when there is one)."""
    return field.label_en if current_language() == "en" and field.label_en else field.label


def describe_fields(form: TaskFormSpec) -> list[dict]:
    """The JSON description of a form, enough for a mobile app to draw and check it."""
    described = []
    for field in form.fields:
        entry = {"id": field.id, "type": field.type, "label": field_label(field),
                 "required": field.required}
        if field.type == "enum":
            entry["options"] = [{"id": key, "name": name} for key, name in field.options]
        for name in ("default", "min", "max", "minlength", "maxlength"):
            if getattr(field, name) is not None:
                entry[name] = getattr(field, name)
        when = BUILT_IN[form.key].required_when.get(field.id) if is_built_in(form.key) else None
        if when:
            entry["required_when"] = dict(when)
        described.append(entry)
    return described


def fields_for_item(item) -> list[dict]:
    """The `fields` of a work item in the API."""
    form = form_for(item.case.process_version_id, item.bpmn_id, item.form_key)
    return describe_fields(form)


# -- checking a submission ----------------------------------------------------------------------

def clean_submission(process_version_id: int, bpmn_id: str, form_key: str | None, data,
                     case) -> dict:
    """Check a task's submission against its form: the typed, JSON-safe values by field id."""
    if not isinstance(data, dict):
        raise ValidationFailed("the body must be a JSON object")
    if is_built_in(form_key):
        return BUILT_IN[form_key].clean(data, case)
    return clean_fields(form_for(process_version_id, bpmn_id, form_key), data)


def clean_fields(form: TaskFormSpec, data: dict) -> dict:
    """Check values against generated fields; every problem is reported at once, per field.

    A field left out of `data` takes its default; date -> 'YYYY-MM-DD', long -> int,
    boolean -> bool, enum -> the option id, string -> trimmed text; empty -> None.
    """
    errors: dict[str, list[str]] = {}
    clean = {}
    for field in form.fields:
        value = data.get(field.id) if field.id in data else field.default
        try:
            clean[field.id] = _clean_value(field, value)
        except ValueError as exc:
            errors[field.id] = [str(exc)]
            clean[field.id] = None
    if errors:
        raise ValidationFailed("the form has errors", errors)
    return clean


def _clean_value(field: FormFieldSpec, value):
    if isinstance(value, str):
        value = "" if is_blank(value) else value.strip()
    if value is None or value == "":
        if field.required:
            raise ValueError("required")
        return False if field.type == "boolean" else None
    return _CLEANERS[field.type](field, value)


def _clean_string(field: FormFieldSpec, value):
    if not isinstance(value, str):
        raise ValueError("must be text")
    if has_refused_characters(value, multi_line=True):  # the task page may draw a textarea
        raise ValueError(MSG_INVISIBLE)
    if field.minlength is not None and len(value) < field.minlength:
        raise ValueError(f"at least {field.minlength} characters")
    if field.maxlength is not None and len(value) > field.maxlength:
        raise ValueError(f"at most {field.maxlength} characters")
    return value


def _clean_long(field: FormFieldSpec, value):
    if isinstance(value, float) and value.is_integer() and abs(value) < 2 ** 53:
        value = int(value)
    if isinstance(value, str) and _INTEGER.match(value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("whole number")
    low, high = field.min, field.max
    if low is not None and high is not None and not low <= value <= high:
        raise ValueError(f"must be between {low} and {high}")
    if low is not None and value < low:
        raise ValueError(f"must be at least {low}")
    if high is not None and value > high:
        raise ValueError(f"must be at most {high}")
    return value


def _clean_boolean(field: FormFieldSpec, value):
    return parse_boolean(value)


def _clean_date(field: FormFieldSpec, value):
    if isinstance(value, str) and _DATE.match(value):
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    raise ValueError("must be a date (YYYY-MM-DD)")


def _clean_enum(field: FormFieldSpec, value):
    allowed = [key for key, _ in field.options]
    if value not in allowed:
        raise ValueError(f"must be one of: {', '.join(allowed)}")
    return value


_CLEANERS = {"string": _clean_string, "long": _clean_long, "boolean": _clean_boolean,
             "date": _clean_date, "enum": _clean_enum}


# -- reading back: the audit trail ----------------------------------------------------------------

def add_readable_values(process_version_id: int, audit: list[dict]) -> None:
    """Give each task_completed entry `detail.fields`: [{id, label, value, text}] to show."""
    forms: dict[str, TaskFormSpec | None] = {}
    for entry in audit:
        detail = entry.get("detail") or {}
        values = detail.get("values")
        if entry.get("kind") != "task_completed" or not isinstance(values, dict):
            continue
        task = detail.get("task")
        if task not in forms:
            forms[task] = _form_or_none(process_version_id, task)
        detail["fields"] = readable_values(forms[task], values)


def _form_or_none(process_version_id: int, bpmn_id) -> TaskFormSpec | None:
    try:
        form = _runner(process_version_id).task_form(bpmn_id)
        if form is not None and is_built_in(form.key):
            return builtin_form(form.key)
        return form
    except (NotFound, EngineError):  # a page showing history must not fail on an old version
        return None


def readable_values(form: TaskFormSpec | None, values: dict) -> list[dict]:
    """Each value that was given, with its field's label and a text a person reads."""
    fields = {f.id: f for f in (form.fields if form else ())}
    order = [f.id for f in fields.values() if f.id in values]
    order += [key for key in values if key not in fields]
    shown = []
    for key in order:
        value = values[key]
        if value is None or value == "":
            continue
        field = fields.get(key)
        shown.append({"id": key, "label": field_label(field) if field else key, "value": value,
                      "text": _value_text(field, value)})
    return shown


def _value_text(field: FormFieldSpec | None, value) -> str:
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if field is not None and field.type == "enum" and isinstance(value, str):
        return dict(field.options).get(value, value)
    if field is not None and field.type == "date" and isinstance(value, str) and _DATE.match(value):
        try:
            return date.fromisoformat(value).strftime(DATE_FORMAT)
        except ValueError:
            return value
    return str(value)


# -- the deploy check ---------------------------------------------------------------------------

def form_problems(compiled) -> list[str]:
    """What in a compiled process's user task forms the app cannot show or check (empty: fine)."""
    return [message for _bpmn_id, _kind, message in task_form_problems(compiled)]


def task_form_problems(compiled) -> list[tuple[str, str, str]]:
    """(user task bpmn id, kind: 'form_key' | 'form_field', message) for each form problem."""
    problems = []
    for task in process_forms(compiled.spec_json):
        where = f"user task '{task.bpmn_id}' ({task.name})"
        if task.form is None or is_built_in(task.form.key):
            continue  # no key: the compiler refuses it; built-in keys use their own forms
        if not task.form.fields and not task.problems:
            problems.append((task.bpmn_id, "form_key",
                             f"{where}: form key '{task.form.key}' is neither a built-in form "
                             f"({', '.join(BUILT_IN)}) nor backed by camunda:formData fields"))
        problems.extend((task.bpmn_id, "form_field", f"{where}: {problem}")
                        for problem in task.problems)
        problems.extend((task.bpmn_id, "form_field",
                         f"{where}: field id '{field.id}' is reserved; choose another")
                        for field in task.form.fields if field.id in RESERVED_FIELD_IDS)
    return problems
