"""Key rotation: every reporter identity re-encrypted under the first key, digests recomputed."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import Text, type_coerce

from ...extensions import db
from ...models import Case
from ..cases.audit import record_admin_change
from .encryption import current_keyring

log = logging.getLogger(__name__)

BATCH = 500
IDENTITY_COLUMNS = ("reporter_name", "reporter_phone", "reporter_email")


@dataclass
class RotationResult:
    cases: int = 0          # rows looked at
    reencrypted: int = 0    # rows with at least one token moved to the first key
    digests: int = 0        # rows whose phone digest changed (the first key changed)


def rotate_keys(actor=None, batch: int = BATCH) -> RotationResult:
    """Re-encrypt (MultiFernet.rotate) every identity not yet under the first key and index its
    phone under the first key, in batches with the rows locked; safe to run again or concurrently
    with the app (rows already done are left as they are)."""
    keyring = current_keyring()
    table = Case.__table__
    raw = [type_coerce(table.c[name], Text).label(name) for name in IDENTITY_COLUMNS]
    result = RotationResult()
    last = 0
    while True:
        rows = db.session.execute(
            db.select(table.c.id, table.c.reporter_phone_digest, *raw)
            .where(table.c.id > last).order_by(table.c.id).limit(batch).with_for_update()).all()
        if not rows:
            break
        for row in rows:
            result.cases += 1
            changes = {}
            for name in IDENTITY_COLUMNS:
                token = getattr(row, name)
                if token is not None and not keyring.under_first_key(token):
                    changes[name] = type_coerce(keyring.rotate(token), Text)
            digest = keyring.phone_digest(keyring.decrypt(row.reporter_phone)) \
                if row.reporter_phone is not None else None
            if digest != row.reporter_phone_digest:
                changes["reporter_phone_digest"] = digest
                result.digests += 1
            if any(name in changes for name in IDENTITY_COLUMNS):
                result.reencrypted += 1
            if changes:
                db.session.execute(db.update(table).where(table.c.id == row.id).values(changes))
        last = rows[-1].id
        db.session.commit()
    record_admin_change(actor, "personal_data.rotate_keys", "keys",
                        {"cases": result.cases, "reencrypted": result.reencrypted,
                         "digests": result.digests})
    db.session.commit()
    log.info("personal data keys rotated: %s", result)
    return result
