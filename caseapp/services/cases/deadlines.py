"""Firing deadlines: idempotent, under the case's row lock; the deadline row is the truth."""
from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from ...engine import EngineError
from ...extensions import db
from ...models import Deadline, utcnow
from .case_store import apply_snapshot, lock_case
from ..administration.processes import runner_for

log = logging.getLogger(__name__)


def due_deadline_ids(now: datetime | None = None, limit: int = 1000) -> list[int]:
    """Pending deadlines whose moment has come, oldest first."""
    now = now or utcnow()
    return list(db.session.scalars(db.select(Deadline.id).where(
        Deadline.state == "pending", Deadline.due_at <= now).order_by(Deadline.due_at).limit(limit)))


def fire_deadline(deadline_id: int) -> int:
    """Fire a due deadline (and any other due timer of its case); how many this call fired."""
    try:
        deadline = db.session.get(Deadline, deadline_id)
        if deadline is None or deadline.state != "pending" or deadline.due_at > utcnow():
            db.session.rollback()
            return 0
        case = lock_case(deadline.case_id)
        deadline = db.session.scalars(db.select(Deadline).where(Deadline.id == deadline_id)
                                      .execution_options(populate_existing=True)).one()
        if deadline.state != "pending":
            db.session.rollback()
            return 0
        snapshot = runner_for(case.process_version_id).fire_due_timers(case.workflow_state)
        saved = apply_snapshot(case, snapshot)
        db.session.commit()
    except (StaleDataError, IntegrityError):
        db.session.rollback()
        log.info("deadline %s: case changed concurrently; left to the other writer", deadline_id)
        return 0
    except EngineError:
        db.session.rollback()
        log.exception("deadline %s: the engine failed; the case is left as it was", deadline_id)
        return 0
    except Exception:
        db.session.rollback()
        raise
    saved.announce()
    return len(saved.fired_deadline_ids)


def sweep(now: datetime | None = None, limit: int = 1000) -> int:
    """Fire everything due; safe to run in several processes at once."""
    return sum(fire_deadline(deadline_id) for deadline_id in due_deadline_ids(now, limit))
