"""A reporter's requests about their data: everything held about a phone number, and its erasure.

Both are recorded in the admin audit log (who, when, how many cases) without the phone in clear.
"""
from __future__ import annotations

from ...extensions import db
from ...models import Case, CaseEvent, CasePhoto, utcnow
from ..cases.audit import record_admin_change
from ..cases.validation import normalise_phone
from ..administration.validation import N_
from ..errors import ValidationFailed
from .disclosure import disclosures_of, identity_of
from .encryption import phone_lookup
from .erasure import erase_identity

MSG_PHONE = N_("Enter a Vietnamese phone number, e.g. 0912 345 678.")


def valid_phone(phone) -> str:
    """The normalised phone of a request, or a form error."""
    value = normalise_phone(phone if isinstance(phone, str) else None)
    if value is None:
        raise ValidationFailed("invalid phone", {"phone": [MSG_PHONE]})
    return value


def cases_for_phone(phone: str) -> list[Case]:
    """Every case whose reporter gave this phone (through the keyed digest, never decrypting)."""
    return list(db.session.scalars(db.select(Case).where(
        phone_lookup(Case.reporter_phone_digest, valid_phone(phone))).order_by(Case.id)).unique())


def export_for_phone(actor, phone: str) -> dict:
    """Everything held about one phone number, as JSON-ready data; the request is audited."""
    cases = cases_for_phone(phone)
    ids = [case.id for case in cases]
    events = _events_of(ids)
    photos = _photos_of(ids)
    disclosures = disclosures_of(ids)
    data = {"phone": valid_phone(phone), "generated_at": utcnow().isoformat(),
            "cases": [_case_dict(case, events[case.id], photos[case.id], disclosures[case.id])
                      for case in cases]}
    record_admin_change(actor, "personal_data.export", "subject request", {"cases": len(cases)})
    db.session.commit()
    return data


def erase_for_phone(actor, phone: str) -> int:
    """Remove the identity from every case with this phone (the cases stay); how many cases."""
    ids = [case.id for case in cases_for_phone(phone)]
    db.session.rollback()
    erased = 0
    if ids:
        for case in db.session.scalars(db.select(Case).where(Case.id.in_(ids))
                                       .with_for_update(of=Case).order_by(Case.id)).unique():
            erase_identity(case, "request", actor)
            erased += 1
    record_admin_change(actor, "personal_data.erase", "subject request", {"cases": erased})
    db.session.commit()
    return erased


def _case_dict(case: Case, events: list[dict], photos: list[dict], disclosures: list[dict]) -> dict:
    return {"tracking_code": case.tracking_code, "status": case.status, "phase": case.phase,
            "category": case.category.code, "description": case.description,
            "address": case.address, "lat": case.lat, "lon": case.lon,
            "urgent": bool(case.urgent), "created_at": _iso(case.created_at),
            "closed_at": _iso(case.closed_at), "reporter": identity_of(case),
            "consent_share_identity": bool(case.consent_share_identity),
            "current_agency": case.current_agency.code if case.current_agency else None,
            "resolution": case.resolution, "public_response": case.public_response,
            "reject_reason": case.reject_reason, "events": events, "photos": photos,
            "disclosures": disclosures}


def _events_of(ids: list[int]) -> dict[int, list[dict]]:
    found: dict[int, list[dict]] = {case_id: [] for case_id in ids}
    if ids:
        for event in db.session.scalars(db.select(CaseEvent).where(CaseEvent.case_id.in_(ids))
                                        .order_by(CaseEvent.at, CaseEvent.id)):
            found[event.case_id].append({"at": _iso(event.at), "kind": event.kind,
                                         "actor": event.actor_label, "public": event.public,
                                         "phase_before": event.phase_before,
                                         "phase_after": event.phase_after,
                                         "detail": dict(event.detail or {})})
    return found


def _photos_of(ids: list[int]) -> dict[int, list[dict]]:
    found: dict[int, list[dict]] = {case_id: [] for case_id in ids}
    if ids:
        rows = db.session.execute(db.select(CasePhoto.id, CasePhoto.case_id, CasePhoto.content_type,
                                            CasePhoto.size, CasePhoto.created_at)
                                  .where(CasePhoto.case_id.in_(ids)).order_by(CasePhoto.id))
        for photo_id, case_id, content_type, size, created_at in rows:
            found[case_id].append({"id": photo_id, "content_type": content_type, "size": size,
                                   "created_at": _iso(created_at)})
    return found


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None
