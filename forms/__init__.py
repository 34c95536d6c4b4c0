"""WTForms forms: the citizen's report and one form per BPMN form key (see forms.registry).

Forms never touch the database: choices such as categories and agencies are passed in by the view.
"""
from .registry import FORMS, build_form, form_data
from .report import ReportForm
from .tasks import DispatchForm, HandleForm, PublishForm

__all__ = ["FORMS", "build_form", "form_data", "ReportForm", "DispatchForm", "HandleForm",
           "PublishForm"]
