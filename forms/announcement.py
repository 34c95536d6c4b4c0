"""The staff form that publishes an emergency announcement (the service checks the content)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField


class AnnouncementForm(FlaskForm):
    """Title, text, area and the local start and end times; the rules are in the service."""

    title = StringField(_l("Announcement title"), id="ann-title", render_kw={"maxlength": 200})
    text = TextAreaField(_l("Announcement text"), id="ann-text",
                         description=_l("What people must know or do. Plain text; line breaks are kept."),
                         render_kw={"rows": 5, "maxlength": 2000})
    area = StringField(_l("Area concerned"), id="ann-area",
                       description=_l("E.g. the whole province, or the districts and communes concerned."),
                       render_kw={"maxlength": 200})
    starts_at = StringField(_l("Shown from (local time)"), id="ann-starts-at",
                            render_kw={"type": "datetime-local"})
    ends_at = StringField(_l("Shown until (local time)"), id="ann-ends-at",
                          render_kw={"type": "datetime-local"})
