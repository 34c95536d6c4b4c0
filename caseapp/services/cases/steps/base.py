"""What a step is: its fields, the rules of a submission, its effects on the case."""
from __future__ import annotations

from ....engine import FormFieldSpec
from ..validation import LIMITS


class Step:
    """A built-in step; subclasses say their key, fields, rules and effects."""

    key = ""
    required_when: dict = {}  # field id -> {other field: value} under which it is required

    def fields(self) -> tuple[FormFieldSpec, ...]:
        """The form's fields, labelled in the current language."""
        raise NotImplementedError

    def clean(self, data: dict, case) -> dict:
        """The checked values by field id; ValidationFailed with every problem per field."""
        raise NotImplementedError

    def before(self, uow, case, item, values) -> None:
        """Runs before the engine, with the case locked."""

    def after(self, uow, case, item, values, snapshot, phase_before) -> None:
        """Runs after the engine's snapshot is applied."""


class GeneratedStep(Step):
    """A form generated from camunda:formData: no effect besides its values, which are recorded."""

    def after(self, uow, case, item, values, snapshot, phase_before) -> None:
        uow.record(case, "task_completed", phase_before=phase_before, phase_after=case.phase,
                   detail={"task": item.bpmn_id, "task_name": item.task_name,
                           "form_key": item.form_key, "values": values})


def text_field_spec(field_id: str, label, required: bool = False) -> FormFieldSpec:
    """A built-in text field with the length limits validation.LIMITS applies."""
    low, high = LIMITS[field_id]
    return FormFieldSpec(id=field_id, type="string", label=str(label), required=required,
                         minlength=low or None, maxlength=high)


def enum_field_spec(field_id: str, label, options, required: bool = False) -> FormFieldSpec:
    """A built-in choice field."""
    return FormFieldSpec(id=field_id, type="enum", label=str(label), required=required,
                         options=tuple((key, str(name)) for key, name in options))
