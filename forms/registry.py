"""BPMN form key (camunda:formKey) → WTForms class."""
from __future__ import annotations

from .tasks import DispatchForm, HandleForm, PublishForm, TaskForm

FORMS: dict[str, type[TaskForm]] = {
    "dispatch": DispatchForm,
    "handle": HandleForm,
    "publish": PublishForm,
}


def form_class(form_key: str | None) -> type[TaskForm]:
    """The form class of a form key; KeyError for a key nobody wrote a form for."""
    return FORMS[form_key or ""]


def build_form(form_key: str | None, *, agencies=None, case=None, **kwargs) -> TaskForm:
    """Instantiate the form of a form key (bound to the request by Flask-WTF) with its choices.

    agencies: (code, label) pairs for the dispatch form; case: the case_detail() dict, used to
    pre-fill (urgent flag, the agency's result as the draft reply).
    """
    return form_class(form_key)(**kwargs).prepare(agencies=agencies, case=case)


def form_data(form: TaskForm) -> dict:
    """The dict `services.work_items.complete` takes."""
    return form.service_data()
