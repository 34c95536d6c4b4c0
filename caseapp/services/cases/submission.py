"""Citizens submit reports; each becomes a case on the active process version."""
from __future__ import annotations

import secrets

from ...extensions import db
from ...models import Case, CasePhoto, utcnow
from ..administration.processes import active_version_and_settings, runner_for
from ..administration.sla_settings import DueCalculator
from ..errors import Conflict, NotFound
from .unit_of_work import CaseUnitOfWork
from .validation import clean_report

_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def new_tracking_code() -> str:
    """Short, unguessable, unambiguous when read aloud on the phone."""
    body = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    return f"CM-{body[:4]}-{body[4:]}"


def submit_report(data: dict, idempotency_key: str | None = None,
                  photos: list[tuple[str, bytes]] | None = None) -> tuple[Case, bool]:
    """Create the case and start its process; a retried key returns the first case."""
    if idempotency_key:
        idempotency_key = idempotency_key.strip()[:100]
        existing = find_by_idempotency_key(idempotency_key)
        if existing is not None:
            return existing, False
    clean = clean_report(data)
    version_id, settings_texts = active_version_and_settings()
    now = utcnow()
    case = Case(tracking_code=new_tracking_code(), idempotency_key=idempotency_key or None,
                category=clean["category"], description=clean["description"],
                address=clean["address"], lat=clean["lat"], lon=clean["lon"],
                urgent=clean["urgent"], reporter_name=clean["full_name"],
                reporter_phone=clean["phone"], reporter_email=clean["email"],
                consent_share_identity=clean["consent_share_identity"], status="open",
                process_version_id=version_id, created_at=now, updated_at=now)
    try:
        with CaseUnitOfWork() as uow:
            snapshot = runner_for(version_id, DueCalculator(settings_texts)).start({
                "tracking_code": case.tracking_code, "category": clean["category"].code,
                "reported_urgent": clean["urgent"]})
            case.workflow_state = snapshot.state_json
            uow.add_case(case)
            for content_type, blob in photos or []:
                uow.session.add(CasePhoto(case_id=case.id, content_type=content_type,
                                          size=len(blob), data=blob, created_at=now))
            uow.apply(case, snapshot)
            uow.record(case, "submitted", phase_after=case.phase, public=True,
                       detail={"category": clean["category"].code, "photos": len(photos or [])})
    except Conflict:  # the same idempotency key, sent twice at once: the first case stands
        existing = find_by_idempotency_key(idempotency_key) if idempotency_key else None
        if existing is None:
            raise
        return existing, False
    return case, True


def find_by_idempotency_key(key: str) -> Case | None:
    """The case a retried submission already created."""
    return db.session.scalars(db.select(Case).where(Case.idempotency_key == key)).first()


def get_by_tracking_code(code: str) -> Case:
    """Cases are addressed by their public tracking code."""
    case = db.session.scalars(db.select(Case).where(
        Case.tracking_code == (code or "").strip().upper())).first()
    if case is None:
        raise NotFound("no report has this tracking code")
    return case
