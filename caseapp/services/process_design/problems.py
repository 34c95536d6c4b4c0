"""A problem found in a diagram, the rules' titles, and the refusal that carries them."""
from __future__ import annotations

from dataclasses import asdict, dataclass

from flask import has_request_context
from flask_babel import gettext

from ..errors import ValidationFailed

ERROR, WARNING = "error", "warning"


def N_(message: str) -> str:
    """Marks a msgid for translation where it is shown (pybabel's N_ keyword)."""
    return message


# rule code -> title (translated in the .po files; the message itself stays English)
RULE_TITLES = {
    "parse": N_("The diagram cannot be read"),
    "queue": N_("User task without a queue"),
    "form_key": N_("Form key without a form"),
    "form_field": N_("Form field the forms cannot handle"),
    "timer": N_("Timer that does not evaluate"),
    "sla_policy": N_("Phase without an SLA policy"),
    "script": N_("Script or expression refused by the sandbox"),
    "gateway_default": N_("Gateway whose conditions may all be false"),
    "built_in_step": N_("Missing built-in step"),
    "unreachable": N_("Unreachable element"),
    "dead_end": N_("Dead end"),
    "dry_run": N_("A new report fails at the first steps"),
}

# rule code -> how to fix it, in the reader's language (the message gives the English detail)
RULE_ADVICE = {
    "parse": N_("Open the file in a BPMN editor and save it again; the detail says where the XML is broken."),
    "queue": N_("Put the user task in the Portal or Agency lane, or set its candidate groups to portal, agency, agency_leader or supervisor."),
    "form_key": N_("Give the user task the form key of a built-in step, or define its form fields."),
    "form_field": N_("Use a field type the forms support (string, long, boolean, date, enum) and only the constraints required, minlength, maxlength, min and max."),
    "timer": N_("Write the timer as sla_due('<phase>'), or as an ISO 8601 date or duration the business calendar can evaluate."),
    "sla_policy": N_("Create the phase's deadline policy in Administration > SLA deadlines, then check again."),
    "script": N_("Change the script or expression so that it uses only what the sandbox allows; the detail names what is refused."),
    "gateway_default": N_("Mark one outgoing flow as the default flow, or make sure the conditions cover every case."),
    "built_in_step": N_("Put back a user task with the missing built-in step's form key: the application needs it."),
    "unreachable": N_("Connect the element with a sequence flow, or delete it."),
    "dead_end": N_("Add an outgoing sequence flow, or end the path with an end event."),
    "dry_run": N_("Fix the first steps so that a new report can start; the detail says what failed."),
}


@dataclass(frozen=True)
class Problem:
    """One problem, on one element when it is about one (BPMN id, so the modeler can mark it)."""

    severity: str  # ERROR | WARNING
    rule: str
    element_id: str | None
    element_name: str | None
    message: str

    def as_dict(self) -> dict:
        """The JSON shape the modeler reads, with the rule's title and advice in the reader's
        language (the message is the English detail)."""
        shown = asdict(self)
        title, advice = RULE_TITLES.get(self.rule, self.rule), RULE_ADVICE.get(self.rule, "")
        translate = gettext if has_request_context() else str
        shown["title"] = translate(title)
        shown["advice"] = translate(advice) if advice else ""
        return shown

    @property
    def text(self) -> str:
        """One line for a page or a terminal: warnings say so."""
        return self.message if self.severity == ERROR else f"warning: {self.message}"


def errors_of(problems) -> list[Problem]:
    """The problems that refuse a deploy whatever the designer says."""
    return [p for p in problems if p.severity == ERROR]


def warnings_of(problems) -> list[Problem]:
    """The problems a designer may accept."""
    return [p for p in problems if p.severity == WARNING]


class DiagramRejected(ValidationFailed):
    """Deploy refused: `.problems` lists every problem; fields["bpmn"] their messages."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        texts = [p.text for p in self.problems]
        if errors_of(self.problems):
            message = "BPMN rejected: " + "; ".join(texts)
        else:
            message = ("BPMN rejected until its warnings are accepted: " + "; ".join(texts))
        super().__init__(message, {"bpmn": texts})
