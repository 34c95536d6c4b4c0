"""How long closed cases keep their reporter's identity, and the purge that enforces it."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from ...extensions import db
from ...models import Case, PersonalDataSetting, utcnow
from ..cases.audit import record_admin_change
from ..administration.validation import N_
from ..errors import ValidationFailed
from .erasure import erase_identity

log = logging.getLogger(__name__)

MAX_DAYS = 36500
BATCH = 200
ENDED = ("closed", "rejected")
MSG_DAYS = N_("A whole number of days from 1 to 36500, or empty to keep identities.")


def retention_days() -> int | None:
    """Days after a case closed before its identity goes; None keeps identities (the default)."""
    return db.session.scalar(db.select(PersonalDataSetting.retention_days)
                             .where(PersonalDataSetting.id == 1))


def set_retention(actor, days) -> int | None:
    """Set (or with None clear) the retention period; audited, committed."""
    if days in (None, ""):
        value = None
    else:
        try:
            value = int(days)
        except (TypeError, ValueError):
            value = 0
        if isinstance(days, bool) or not 1 <= value <= MAX_DAYS:
            raise ValidationFailed("invalid retention period", {"days": [MSG_DAYS]})
    row = db.session.get(PersonalDataSetting, 1)
    if row is None:
        row = PersonalDataSetting(id=1)
        db.session.add(row)
    before = row.retention_days
    row.retention_days = value
    row.updated_at = utcnow()
    row.updated_by = getattr(actor, "username", None) or "system"
    record_admin_change(actor, "personal_data.retention", "retention",
                        {"days": value, "before": before})
    db.session.commit()
    return value


def due_for_purge(now: datetime | None = None) -> list[int]:
    """Ids of the ended cases past the retention period that still hold an identity."""
    days = retention_days()
    if days is None:
        return []
    cutoff = (now or utcnow()) - timedelta(days=days)
    return list(db.session.scalars(
        db.select(Case.id).where(Case.status.in_(ENDED), Case.closed_at.is_not(None),
                                 Case.closed_at <= cutoff,
                                 Case.reporter_phone_digest.is_not(None))
        .order_by(Case.id)))


def purge_expired(actor=None, now: datetime | None = None) -> int:
    """Erase the identity of every case past retention, in batches; one audit entry with the
    count (none when nothing was due). Open cases are never touched."""
    ids = due_for_purge(now)
    if not ids:
        return 0
    days = retention_days()
    purged = 0
    for start in range(0, len(ids), BATCH):
        cases = db.session.scalars(
            db.select(Case).where(Case.id.in_(ids[start:start + BATCH]),
                                  Case.status.in_(ENDED))  # re-checked under the write
            .with_for_update(of=Case).order_by(Case.id)).unique().all()
        for case in cases:
            erase_identity(case, "retention", actor)
            purged += 1
        db.session.commit()
    record_admin_change(actor, "personal_data.purge", "retention",
                        {"cases": purged, "retention_days": days})
    db.session.commit()
    log.info("personal data: %d closed case(s) past %s day(s) lost their reporter's identity",
             purged, days)
    return purged
