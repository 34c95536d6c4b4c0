"""The built-in steps (`dispatch`, `handle`, `publish`): everything the code knows of each, in one
module per step — its fields (as the API describes them), the rules of a submission, and what it
does to the case's own columns beyond its task data. Every other user task is a generated-form
step: its fields come from its `camunda:formData`, and its completion is recorded with its values.
"""
from __future__ import annotations

from .base import GeneratedStep, Step
from .dispatch import Dispatch
from .handle import Handle
from .publish import Publish

BUILT_IN: dict[str, Step] = {step.key: step for step in (Dispatch(), Handle(), Publish())}
GENERATED = GeneratedStep()


def step_for(form_key: str | None) -> Step:
    """The step behind a form key: a built-in one, or the generated-form step."""
    return BUILT_IN.get(form_key or "", GENERATED)


def is_built_in(form_key: str | None) -> bool:
    """Whether a form key names a built-in step (its form and effects are code)."""
    return (form_key or "") in BUILT_IN
