"""The portal's last step: the reply the reporter reads."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ...delivery.notifications import notify_reporter
from ...errors import ValidationFailed
from ..validation import text_field
from .base import Step, text_field_spec


# The agency's result is written for the portal; the reply is written for the reporter. The
# form shows the result beside an empty reply box, and a reply that is the result word for word
# (an unedited copy) is refused here, for the web form and the API alike.
UNEDITED_RESULT = "the reply is the agency's internal result unchanged; write it for the reporter"


def _same_text(reply: str, result: str | None) -> bool:
    """Equal but for spacing and letter case."""
    if not result:
        return False
    return " ".join(reply.split()).casefold() == " ".join(result.split()).casefold()


class Publish(Step):
    """The reply is stored on the case and sent to the reporter."""

    key = "publish"

    def fields(self):
        return (text_field_spec("public_response", _l("Reply to the reporter"), required=True),)

    def clean(self, data: dict, case) -> dict:
        """The reply the reporter will read."""
        errors: dict[str, list[str]] = {}
        clean = {"public_response": text_field(data, "public_response", errors)}
        if clean["public_response"] and _same_text(clean["public_response"],
                                                   getattr(case, "resolution", None)):
            errors["public_response"] = [UNEDITED_RESULT]
        if errors:
            raise ValidationFailed("the reply has errors", errors)
        return clean

    def after(self, uow, case, item, values, snapshot, phase_before) -> None:
        case.public_response = values["public_response"]
        uow.record(case, "published", phase_before=phase_before, phase_after=case.phase,
                   public=True, detail={})
        uow.notified(notify_reporter(case, f"[{case.tracking_code}] Kết quả xử lý phản ánh",
                                     case.public_response))

