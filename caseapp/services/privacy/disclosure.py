"""Showing a reporter's identity to staff: the rules decide, and every showing is recorded.

`show_identity` (one case) and `show_identities` (many, e.g. an export) are the only ways a
page, the API or an export should obtain a reporter's name, phone and e-mail; what citizens and
Open311 clients receive never calls them.
"""
from __future__ import annotations

from dataclasses import dataclass

from ...extensions import db
from ...models import Case, CaseEvent, IdentityDisclosure, utcnow
from ..access import can_view_case, sees_reporter_identity
from ..cases.audit import actor_label, record_case_event
from .encryption import ERASED

CHANNELS = ("web", "api", "export")


def identity_of(case: Case) -> dict:
    """The reporter's identity as pages and the API show it (`erased` once it was removed)."""
    erased = case.reporter_phone == ERASED
    return {"full_name": case.reporter_name, "phone": case.reporter_phone,
            "email": case.reporter_email, "erased": erased}


def show_identity(user, case: Case, channel: str = "web") -> dict | None:
    """The reporter's identity for this member of staff, or None where the rules hide it; each
    showing is recorded (who, when, which case, through what) and committed before it is shown."""
    return show_identities(user, [case], channel)[case.id]


def show_identities(user, cases: list[Case], channel: str = "export") -> dict[int, dict | None]:
    """Case id → identity (None where hidden: a case the user may not read, or an identity the
    rules keep from them) for many cases at once, one commit for the records."""
    shown: dict[int, dict | None] = {}
    recorded = False
    for case in cases:
        if not (sees_reporter_identity(user, case) and can_view_case(user, case)):
            shown[case.id] = None
            continue
        identity = identity_of(case)
        shown[case.id] = identity
        if not identity["erased"]:  # nothing personal is left to disclose
            _record(user, case, channel)
            recorded = True
    if recorded:
        db.session.commit()
    return shown


def _record(user, case: Case, channel: str) -> None:
    db.session.add(IdentityDisclosure(case_id=case.id, user_id=getattr(user, "id", None),
                                      actor_label=actor_label(user),
                                      role=getattr(user, "role", "") or "",
                                      channel=channel if channel in CHANNELS else "web",
                                      at=utcnow()))
    first = db.session.scalar(db.select(CaseEvent.id).where(
        CaseEvent.case_id == case.id, CaseEvent.kind == "identity_disclosed",
        CaseEvent.actor_id == getattr(user, "id", None)).limit(1)) is None
    if first:  # the case's trail names each person who saw the identity, once
        agency = getattr(user, "agency", None)
        record_case_event(case, "identity_disclosed", user, phase_before=case.phase,
                          phase_after=case.phase,
                          detail={"agency": agency.code if agency else None,
                                  "role": getattr(user, "role", None)})


@dataclass
class DisclosureFilters:
    tracking_code: str | None = None
    username: str | None = None
    page: int = 1
    per_page: int = 50


def list_disclosures(filters: DisclosureFilters) -> tuple[list[dict], int]:
    """A page of recorded disclosures, newest first, for the admins."""
    query = (db.select(IdentityDisclosure, Case.tracking_code)
             .join(Case, Case.id == IdentityDisclosure.case_id))
    if filters.tracking_code:
        query = query.where(Case.tracking_code == filters.tracking_code.strip().upper())
    if filters.username:
        query = query.where(IdentityDisclosure.actor_label == filters.username.strip())
    total = db.session.scalar(db.select(db.func.count()).select_from(query.subquery()))
    page, per_page = max(filters.page, 1), min(max(filters.per_page, 1), 200)
    rows = db.session.execute(query.order_by(IdentityDisclosure.at.desc(),
                                             IdentityDisclosure.id.desc())
                              .offset((page - 1) * per_page).limit(per_page))
    return [disclosure_dict(row, code) for row, code in rows], total


def disclosures_of(case_ids: list[int]) -> dict[int, list[dict]]:
    """Every disclosure of these cases, oldest first (subject exports, the case's trail)."""
    found: dict[int, list[dict]] = {case_id: [] for case_id in case_ids}
    if not case_ids:
        return found
    rows = db.session.execute(
        db.select(IdentityDisclosure, Case.tracking_code)
        .join(Case, Case.id == IdentityDisclosure.case_id)
        .where(IdentityDisclosure.case_id.in_(case_ids))
        .order_by(IdentityDisclosure.at, IdentityDisclosure.id))
    for row, code in rows:
        found[row.case_id].append(disclosure_dict(row, code))
    return found


def disclosure_dict(row: IdentityDisclosure, tracking_code: str) -> dict:
    """One disclosure as pages and exports show it."""
    return {"at": row.at.isoformat(), "tracking_code": tracking_code, "user": row.actor_label,
            "role": row.role, "channel": row.channel}


def usernames() -> list[str]:
    """Staff who were ever shown an identity (the admin filter's choices)."""
    return list(db.session.scalars(db.select(IdentityDisclosure.actor_label).distinct()
                                   .order_by(IdentityDisclosure.actor_label)))

