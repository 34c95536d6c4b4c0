"""Citizens submit reports; each becomes a case on the active process version."""
from __future__ import annotations

import hashlib
import logging
import secrets

from ...engine import EngineError
from ...extensions import db
from ...models import Case, CasePhoto, utcnow
from ..administration.processes import active_version_and_settings, runner_for
from ..administration.sla_settings import DueCalculator
from ..delivery.notifications import notify_role
from ..errors import Conflict, NotFound, ServiceError, ValidationFailed
from .unit_of_work import CaseUnitOfWork
from .validation import clean_report

log = logging.getLogger(__name__)

_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def new_tracking_code() -> str:
    """Short, unguessable, unambiguous when read aloud on the phone."""
    body = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    return f"CM-{body[:4]}-{body[4:]}"


def submit_report(data: dict, idempotency_key: str | None = None,
                  photos: list[tuple[str, bytes]] | None = None,
                  client: str = "") -> tuple[Case, bool]:
    """Create the case and start its process; the same key from the same client with the same
    report returns the first case, with another report it is refused (422)."""
    clean = clean_report(data)
    key = scoped_key(client, idempotency_key) if (idempotency_key or "").strip() else None
    if key:
        existing = find_by_idempotency_key(key)
        if existing is not None:
            return _replayed(existing, clean), False
    version_id, settings_texts = active_version_and_settings()
    now = utcnow()
    case = Case(tracking_code=new_tracking_code(), idempotency_key=key,
                category=clean["category"], district=clean["district"],
                description=clean["description"], address=clean["address"], lat=clean["lat"], lon=clean["lon"],
                urgent=clean["urgent"], reporter_name=clean["full_name"],
                reporter_phone=clean["phone"], reporter_email=clean["email"],
                consent_share_identity=clean["consent_share_identity"], status="open",
                process_version_id=version_id, created_at=now, updated_at=now)
    try:
        snapshot, failure = _start(version_id, DueCalculator(settings_texts), case), None
    except EngineError as exc:  # a broken diagram never loses the report: it is kept and flagged
        snapshot, failure = None, str(exc)
    try:
        with CaseUnitOfWork() as uow:
            case.workflow_state = snapshot.state_json if snapshot else ""
            uow.add_case(case)
            for content_type, blob in photos or []:
                uow.session.add(CasePhoto(case_id=case.id, content_type=content_type,
                                          size=len(blob), data=blob, created_at=now))
            if snapshot is not None:
                uow.apply(case, snapshot)
            uow.record(case, "submitted", phase_after=case.phase, public=True,
                       detail={"category": clean["category"].code, "photos": len(photos or [])})
            if failure is not None:
                _flag_process_failure(uow, case, failure)
    except Conflict:  # the same idempotency key, sent twice at once: the first case stands
        existing = find_by_idempotency_key(key) if key else None
        if existing is None:
            raise
        return _replayed(existing, clean), False
    return case, True


def _start(version_id: int, sla_due: DueCalculator, case: Case):
    """The engine's first steps for a new case (what its report gives the process)."""
    return runner_for(version_id, sla_due).start({
        "tracking_code": case.tracking_code, "category": case.category.code,
        "reported_urgent": bool(case.urgent)})


def _flag_process_failure(uow: CaseUnitOfWork, case: Case, error: str) -> None:
    """The designers and the portal hear of a report the process could not start."""
    log.error("case %s: the process could not start: %s", case.tracking_code, error)
    case.process_error = error
    uow.record(case, "process_failed", system=True, detail={"error": error})
    subject = f"[{case.tracking_code}] Quy trình không khởi động được cho phản ánh mới"
    body = (f"Phản ánh {case.tracking_code} đã được lưu nhưng quy trình lỗi ở bước đầu: {error}\n"
            "Phản ánh sẽ tự khởi động lại khi một phiên bản quy trình đã sửa được triển khai.")
    for role in ("designer", "supervisor"):
        uow.notified(notify_role(case, role, None, "process_failed", subject, body))


def restart_failed_reports() -> int:
    """Start, on the active version, every kept report whose process could not start; how many."""
    case_ids = list(db.session.scalars(db.select(Case.id).where(
        Case.process_error.is_not(None), Case.workflow_state == "").order_by(Case.id)))
    if not case_ids:
        return 0
    version_id, settings_texts = active_version_and_settings()
    db.session.rollback()
    started = 0
    for case_id in case_ids:
        try:
            with CaseUnitOfWork() as uow:
                case = uow.lock(case_id)
                if case.workflow_state:
                    continue  # another process started it meanwhile
                snapshot = _start(version_id, DueCalculator(settings_texts), case)
                case.process_version_id = version_id
                case.process_error = None
                uow.apply(case, snapshot)
                uow.record(case, "process_started", system=True, phase_after=case.phase,
                           detail={"process_version_id": version_id})
            started += 1
        except ServiceError as exc:  # still broken (or gone): it stays flagged
            log.warning("case %s could not be started: %s", case_id, exc)
    return started


def scoped_key(client: str, idempotency_key: str) -> str:
    """What is stored for a client's Idempotency-Key: a hex SHA-256 of both, so one client
    cannot replay (or probe) another's key and any key fits the column."""
    return hashlib.sha256(f"{client}\n{idempotency_key.strip()}".encode("utf-8",
                                                                      "surrogatepass")).hexdigest()


def _replayed(case: Case, clean: dict) -> Case:
    """The first case of a retried submission; a different report under the same key is an
    error rather than a silent loss of the new report."""
    if _report_fields(case) != {
            "category": clean["category"].id,
            "district": clean["district"].id if clean["district"] else None,
            "description": clean["description"], "full_name": clean["full_name"], "phone": clean["phone"], "email": clean["email"],
            "address": clean["address"], "lat": clean["lat"], "lon": clean["lon"],
            "urgent": clean["urgent"], "consent_share_identity": clean["consent_share_identity"]}:
        raise ValidationFailed(
            "this Idempotency-Key was already used for a different report; use a new key",
            {"idempotency_key": ["already used for a different report"]},
            code="idempotency_key_reused")
    return case


def _report_fields(case: Case) -> dict:
    return {"category": case.category_id, "district": case.district_id,
            "description": case.description,
            "full_name": case.reporter_name, "phone": case.reporter_phone,
            "email": case.reporter_email, "address": case.address, "lat": case.lat,
            "lon": case.lon, "urgent": case.urgent,
            "consent_share_identity": case.consent_share_identity}


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
