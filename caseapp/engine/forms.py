"""User task forms as plain data: what `camunda:formKey` and `camunda:formData` declare.

SpiffWorkflow's Camunda parser reads the form into `task_spec.form`; this module turns it into
frozen dataclasses and says what in it the application cannot handle (for the deploy check).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask

from .analysis import task_specs
from .serialization import load_spec

FIELD_TYPES = ("string", "long", "boolean", "date", "enum")
CONSTRAINTS = ("required", "minlength", "maxlength", "min", "max")
# which constraints take a number, and the field types they apply to
_NUMBER_CONSTRAINTS = {"minlength": ("string",), "maxlength": ("string",),
                       "min": ("long",), "max": ("long",)}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INTEGER = re.compile(r"^[+-]?\d{1,18}$")
_TRUE, _FALSE = ("true",), ("false",)


@dataclass(frozen=True)
class FormFieldSpec:
    """One generated form field; `default` is already typed (int, bool, 'YYYY-MM-DD', option id)."""

    id: str
    type: str
    label: str
    label_en: str | None = None
    required: bool = False
    default: object = None
    minlength: int | None = None
    maxlength: int | None = None
    min: int | None = None
    max: int | None = None
    options: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class TaskFormSpec:
    """A user task's form: its key and the fields declared in camunda:formData (maybe none)."""

    key: str
    fields: tuple[FormFieldSpec, ...] = ()


@dataclass(frozen=True)
class UserTaskForm:
    """A user task of a process with its form and what is wrong with the form's fields."""

    bpmn_id: str
    name: str
    form: TaskFormSpec | None
    problems: tuple[str, ...] = ()


def read_form(task_spec) -> tuple[TaskFormSpec | None, list[str]]:
    """The form of a user task spec and the problems of its fields (bad parts are left out)."""
    form = getattr(task_spec, "form", None)
    key = getattr(form, "key", None)
    if not key:
        return None, []
    problems: list[str] = []
    fields, seen = [], set()
    for raw in getattr(form, "fields", None) or []:
        field = _read_field(raw, problems)
        if field is None:
            continue
        if field.id in seen:
            problems.append(f"field '{field.id}' is declared twice")
            continue
        seen.add(field.id)
        fields.append(field)
    return TaskFormSpec(key=key, fields=tuple(fields)), problems


def process_forms(spec_json: str) -> tuple[UserTaskForm, ...]:
    """Every user task of a compiled process with its form and the problems found in it."""
    loaded = load_spec(spec_json)
    found = []
    for task_spec in task_specs(loaded.spec, loaded.subprocess_specs):
        if isinstance(task_spec, UserTask):
            form, problems = read_form(task_spec)
            found.append(UserTaskForm(bpmn_id=task_spec.bpmn_id,
                                      name=task_spec.bpmn_name or task_spec.bpmn_id,
                                      form=form, problems=tuple(problems)))
    return tuple(found)


def form_of(loaded, bpmn_id: str) -> TaskFormSpec | None:
    """The form of the user task with this BPMN id in a loaded spec (None: no such task or form)."""
    for task_spec in task_specs(loaded.spec, loaded.subprocess_specs):
        if isinstance(task_spec, UserTask) and task_spec.bpmn_id == bpmn_id:
            return read_form(task_spec)[0]
    return None


# -- one field ---------------------------------------------------------------------------------

def _read_field(raw, problems: list[str]) -> FormFieldSpec | None:
    field_id = getattr(raw, "id", None) or ""
    if not field_id.isidentifier() or field_id.startswith("_"):
        problems.append(f"field id {field_id!r} must be a name made of letters, digits and '_', "
                        "not starting with a digit or '_'")
        return None
    where = f"field '{field_id}'"
    field_type = getattr(raw, "type", None)
    if field_type not in FIELD_TYPES:
        problems.append(f"{where} has type {field_type!r}; the forms handle {', '.join(FIELD_TYPES)}")
        return None
    options = _options(raw, where, problems) if field_type == "enum" else ()
    values = {"required": False}
    for name, config in [(v.name, v.config) for v in getattr(raw, "validation", None) or []]:
        if name not in CONSTRAINTS:
            problems.append(f"{where} has constraint {name!r}; the forms handle "
                            f"{', '.join(CONSTRAINTS)}")
        elif name == "required":  # Camunda Modeler writes it without a config: its presence counts
            values["required"] = (config or "").strip().lower() != "false"
        elif field_type not in _NUMBER_CONSTRAINTS[name]:
            problems.append(f"{where} ({field_type}) cannot have the constraint '{name}'")
        else:
            number = _integer(config)
            if number is None or (name in ("minlength", "maxlength") and number < 0):
                problems.append(f"{where}: constraint '{name}' needs a whole number, not {config!r}")
            else:
                values[name] = number
    for low, high in (("minlength", "maxlength"), ("min", "max")):
        if values.get(low) is not None and values.get(high) is not None and values[low] > values[high]:
            problems.append(f"{where}: '{low}' ({values[low]}) is larger than '{high}' ({values[high]})")
    properties = {p.id: p.value for p in getattr(raw, "properties", None) or []}
    default = _default(getattr(raw, "default_value", None), field_type, options, where, problems)
    return FormFieldSpec(id=field_id, type=field_type, label=(getattr(raw, "label", None) or field_id),
                         label_en=properties.get("label_en") or None, default=default,
                         options=options, **values)


def _options(raw, where: str, problems: list[str]) -> tuple[tuple[str, str], ...]:
    options, seen = [], set()
    for option in getattr(raw, "options", None) or []:
        option_id = (option.id or "").strip()
        if not option_id or option_id in seen:
            problems.append(f"{where} has an empty or repeated option id {option.id!r}")
            continue
        seen.add(option_id)
        options.append((option_id, option.name or option_id))
    if not options:
        problems.append(f"{where} is an enum without options (camunda:value)")
    return tuple(options)


def _integer(text) -> int | None:
    text = (text or "").strip()
    return int(text) if _INTEGER.match(text) else None


def _default(text, field_type: str, options, where: str, problems: list[str]):
    if text is None or text == "":
        return None
    value = None
    if field_type == "string":
        return text
    if field_type == "long":
        value = _integer(text)
    elif field_type == "boolean":
        lowered = text.strip().lower()
        value = True if lowered in _TRUE else False if lowered in _FALSE else None
    elif field_type == "date":
        value = text.strip() if _DATE.match(text.strip()) and _is_date(text.strip()) else None
    elif field_type == "enum":
        value = text if text in {option_id for option_id, _ in options} else None
    if value is None:
        problems.append(f"{where}: default value {text!r} is not a valid {field_type}"
                        + (" (YYYY-MM-DD)" if field_type == "date" else ""))
    return value


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True
