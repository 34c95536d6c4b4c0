"""The agency's step: resolve the report, or return it as outside its competence."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ....extensions import db
from ....models import CaseAssignment, Deadline, utcnow
from ...errors import ValidationFailed
from ..validation import choice, text_field
from .base import Step, enum_field_spec, text_field_spec


class Handle(Step):
    """Resolving closes the assignment with the result; returning gives the case back."""

    key = "handle"
    required_when = {"result": {"action": "resolve"}, "return_reason": {"action": "return"}}

    def fields(self):
        return (
            enum_field_spec("action", _l("Outcome"), [
                ("resolve", _l("Handled: report the result")),
                ("return", _l("Not within our competence: return to the portal"))], required=True),
            text_field_spec("result", _l("Result of the handling")),
            text_field_spec("return_reason", _l("Why it is not within your competence")),
        )

    def clean(self, data: dict, case) -> dict:
        """Resolve needs the result; return needs the reason it is not this agency's."""
        errors: dict[str, list[str]] = {}
        clean = {"action": choice(data, "action", ("resolve", "return"), errors),
                 "result": None, "return_reason": None}
        if clean["action"] == "resolve":
            clean["result"] = text_field(data, "result", errors)
        elif clean["action"] == "return":
            clean["return_reason"] = text_field(data, "return_reason", errors)
        if errors:
            raise ValidationFailed("the handling form has errors", errors)
        return clean

    def after(self, uow, case, item, values, snapshot, phase_before) -> None:
        with uow.session.no_autoflush:  # else the case row is written twice (now and at commit)
            assignment = uow.session.scalars(db.select(CaseAssignment).where(
                CaseAssignment.case_id == case.id, CaseAssignment.outcome == "handling")).first()
        agency_code = case.current_agency.code if case.current_agency else None
        if values["action"] == "resolve":
            _close(assignment, "resolved")
            case.resolution = values["result"]
            uow.record(case, "resolved", phase_before=phase_before, phase_after=case.phase,
                       public=True, detail={"agency": agency_code})
            return
        late = _return_window_passed(uow, case, item)
        _close(assignment, "returned", values["return_reason"], late)
        case.return_count += 1
        case.current_agency, case.current_agency_id = None, None
        uow.record(case, "late_return" if late else "returned", phase_before=phase_before,
                   phase_after=case.phase, public=True,
                   detail={"agency": agency_code, "reason": values["return_reason"], "late": late})


def _close(assignment, outcome: str, return_reason: str | None = None,
           late_return: bool = False) -> None:
    if assignment is not None:
        assignment.outcome, assignment.outcome_at = outcome, utcnow()
        assignment.return_reason, assignment.late_return = return_reason, late_return


def _return_window_passed(uow, case, item) -> bool:
    """Whether this task's return window had passed (its timer fired, now or before)."""
    if any(row.attached_task_id == item.id and row.phase == "return" for row in uow.fired):
        return True
    return uow.session.scalar(db.select(Deadline.id).where(
        Deadline.case_id == case.id, Deadline.attached_task_id == item.id,
        Deadline.phase == "return", Deadline.state == "fired").limit(1)) is not None
