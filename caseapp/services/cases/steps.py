"""What the built-in steps do to a case beyond their task data: one place per step.

The diagram says where each step sits, who works on it and what follows; a user task whose
`camunda:formKey` is `dispatch`, `handle` or `publish` also changes the case's own columns
(the agency holding it, its assignments, the reply to the reporter) and leaves its own audit
event. Every other user task — a form generated from its `camunda:formData` — only puts its
values into the task data, and its completion is recorded with those values.
"""
from __future__ import annotations

from ...extensions import db
from ...models import CaseAssignment, Deadline, utcnow
from ..delivery.notifications import notify_reporter
from .validation import active_agency


class Step:
    """A generated form's step: no effect on the case besides the recorded values."""

    def before(self, uow, case, item, values) -> None:
        """Runs before the engine, with the case locked."""

    def after(self, uow, case, item, values, snapshot, phase_before) -> None:
        """Runs after the engine's snapshot is applied."""
        uow.record(case, "task_completed", phase_before=phase_before, phase_after=case.phase,
                   detail={"task": item.bpmn_id, "task_name": item.task_name,
                           "form_key": item.form_key, "values": values})


class Dispatch(Step):
    """The portal hands the case to an agency (a new assignment), or rejects it."""

    def before(self, uow, case, item, values) -> None:
        if values["action"] != "dispatch":
            return
        agency = active_agency(values["agency"])
        seq = uow.session.scalar(db.select(db.func.coalesce(db.func.max(CaseAssignment.seq), 0))
                                 .where(CaseAssignment.case_id == case.id)) + 1
        uow.session.add(CaseAssignment(case_id=case.id, seq=seq, agency_id=agency.id,
                                       assigned_at=utcnow(), assigned_by_id=uow.actor.id,
                                       urgent=values["urgent"], note=values["note"],
                                       outcome="handling"))
        case.current_agency, case.current_agency_id = agency, agency.id
        case.urgent = values["urgent"]

    def after(self, uow, case, item, values, snapshot, phase_before) -> None:
        if values["action"] == "dispatch":
            uow.record(case, "dispatched", phase_before=phase_before, phase_after=case.phase,
                       public=True, detail={"agency": values["agency"], "urgent": values["urgent"],
                                            "note": values["note"]})
            return
        case.reject_reason = values["reject_reason"]
        case.public_response = snapshot.data.get("public_response")
        uow.record(case, "rejected", phase_before=phase_before, phase_after=case.phase,
                   public=True, detail={"reason": values["reject_reason"],
                                        "duplicate_of": values["duplicate_of"]})
        uow.notified(notify_reporter(case, f"[{case.tracking_code}] Kết quả tiếp nhận phản ánh",
                                     case.public_response or ""))


class Handle(Step):
    """The agency resolves the case, or returns it as outside its competence."""

    def after(self, uow, case, item, values, snapshot, phase_before) -> None:
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


class Publish(Step):
    """The portal's reply reaches the reporter."""

    def after(self, uow, case, item, values, snapshot, phase_before) -> None:
        case.public_response = values["public_response"]
        uow.record(case, "published", phase_before=phase_before, phase_after=case.phase,
                   public=True, detail={})
        uow.notified(notify_reporter(case, f"[{case.tracking_code}] Kết quả xử lý phản ánh",
                                     case.public_response))


BUILT_IN = {"dispatch": Dispatch(), "handle": Handle(), "publish": Publish()}
GENERATED = Step()


def step_for(form_key: str | None) -> Step:
    """The step behind a form key: a built-in one, or the generated-form step."""
    return BUILT_IN.get(form_key or "", GENERATED)


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
