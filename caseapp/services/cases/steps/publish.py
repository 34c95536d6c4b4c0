"""The portal's last step: the reply the reporter reads."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ...delivery.notifications import notify_reporter
from ...errors import ValidationFailed
from ..validation import text_field
from .base import Step, text_field_spec


class Publish(Step):
    """The reply is stored on the case and sent to the reporter."""

    key = "publish"

    def fields(self):
        return (text_field_spec("public_response", _l("Reply to the reporter"), required=True),)

    def clean(self, data: dict, case) -> dict:
        """The reply the reporter will read."""
        errors: dict[str, list[str]] = {}
        clean = {"public_response": text_field(data, "public_response", errors)}
        if errors:
            raise ValidationFailed("the reply has errors", errors)
        return clean

    def after(self, uow, case, item, values, snapshot, phase_before) -> None:
        case.public_response = values["public_response"]
        uow.record(case, "published", phase_before=phase_before, phase_after=case.phase,
                   public=True, detail={})
        uow.notified(notify_reporter(case, f"[{case.tracking_code}] Kết quả xử lý phản ánh",
                                     case.public_response))

