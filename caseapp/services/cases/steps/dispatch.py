"""The portal's first step: hand the report to an agency, or reject it with a reason."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ....engine import FormFieldSpec
from ....extensions import db
from ....i18n import REJECT_REASON_LABELS, localname
from ....models import Case, CaseAssignment, utcnow
from ...delivery.notifications import notify_reporter
from ...errors import ValidationFailed
from ...reads import reference
from ..replies import REJECT_REASONS
from ..validation import active_agency, boolean, choice, text_field
from .base import Step, enum_field_spec, text_field_spec


class Dispatch(Step):
    """Dispatch opens an assignment to an active agency; rejection replies to the reporter."""

    key = "dispatch"
    required_when = {"agency": {"action": "dispatch"}, "reject_reason": {"action": "reject"},
                     "duplicate_of": {"reject_reason": "duplicate"}}

    def fields(self):
        agencies = [(a["code"], localname(a)) for a in reference.agencies()]
        return (
            enum_field_spec("action", _l("Decision"), [("dispatch", _l("Send to an agency")),
                                                       ("reject", _l("Reject the report"))],
                            required=True),
            enum_field_spec("agency", _l("Handling agency"), agencies),
            FormFieldSpec(id="urgent", type="boolean",
                          label=str(_l("Urgent: contact the agency's leader now"))),
            text_field_spec("note", _l("Note for the agency")),
            enum_field_spec("reject_reason", _l("Reason for rejecting"), REJECT_REASON_LABELS.items()),
            FormFieldSpec(id="duplicate_of", type="string", maxlength=20,
                          label=str(_l("Tracking code of the original report"))),
        )

    def clean(self, data: dict, case) -> dict:
        """Dispatch needs an active agency; rejection a reason (and the original for duplicates)."""
        errors: dict[str, list[str]] = {}
        clean = dict.fromkeys(("action", "agency", "urgent", "note", "reject_reason", "duplicate_of"))
        clean["urgent"] = False
        clean["action"] = choice(data, "action", ("dispatch", "reject"), errors)
        clean["note"] = text_field(data, "note", errors, required=False)
        if clean["action"] == "dispatch":
            code = data.get("agency")
            agency = active_agency(code) if code and isinstance(code, str) else None
            if not code:
                errors["agency"] = ["required"]
            elif agency is None:
                errors["agency"] = ["unknown agency"]
            clean["agency"] = code
            clean["urgent"] = boolean(data, "urgent", errors)
        elif clean["action"] == "reject":
            clean["reject_reason"] = choice(data, "reject_reason", tuple(REJECT_REASONS), errors)
            if clean["reject_reason"] == "duplicate":
                original = (data.get("duplicate_of") or "").strip().upper() if isinstance(
                    data.get("duplicate_of"), str) else ""
                if not original:
                    errors["duplicate_of"] = ["required for a duplicate"]
                elif original == case.tracking_code or not db.session.scalar(
                        db.select(Case.id).where(Case.tracking_code == original)):
                    errors["duplicate_of"] = ["no other report has this tracking code"]
                clean["duplicate_of"] = original or None
        if errors:
            raise ValidationFailed("the dispatch form has errors", errors)
        return clean

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
