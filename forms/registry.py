"""BPMN form key (camunda:formKey) → WTForms class: a built-in step's, or one generated from
the task's camunda:formData fields."""
from __future__ import annotations

from .generated import generated_form_class
from .tasks import DispatchForm, HandleForm, PublishForm, TaskForm

FORMS: dict[str, type[TaskForm]] = {
    "dispatch": DispatchForm,
    "handle": HandleForm,
    "publish": PublishForm,
}


def form_class(form_key: str | None, form_spec=None, language: str = "vi") -> type[TaskForm]:
    """The form class of a form key; a key nobody wrote a form for needs the task's form_spec
    (an engine TaskFormSpec); KeyError when there is neither."""
    if form_key in FORMS:
        return FORMS[form_key]
    if form_spec is None or not form_spec.fields:
        raise KeyError(form_key)
    return generated_form_class(form_spec, language)


def build_form(form_key: str | None, *, agencies=None, case=None, form_spec=None,
               language: str = "vi", **kwargs) -> TaskForm:
    """Instantiate the form of a form key (bound to the request by Flask-WTF) with its choices.

    agencies: (code, label) pairs for the dispatch form; case: the case_detail() dict, used to
    pre-fill (urgent flag, the agency's result as the draft reply); form_spec and language: for
    a generated form, its fields and the language of its labels.
    """
    cls = form_class(form_key, form_spec, language)
    return cls(**kwargs).prepare(agencies=agencies, case=case)


def form_data(form: TaskForm) -> dict:
    """The dict `services.cases.tasks.complete` takes."""
    return form.service_data()
