"""Read models: task lists, case views and the public status, with the confidentiality rules."""
from __future__ import annotations

from dataclasses import dataclass

from ...extensions import db
from ...models import (Agency, Breach, Case, CaseEvent, CasePhoto, Category, Deadline, User,
                      WorkItem, utcnow)
from ..access import AGENCY_QUEUES, queue_condition, require_case, sees_reporter_identity
from ..cases.audit import record_case_event
from ..cases.task_forms import add_readable_values
from ..errors import Forbidden, ValidationFailed
from ..administration.processes import element_label
from ..cases.submission import get_by_tracking_code

SORTABLE = {"due_at": WorkItem.due_at, "created_at": WorkItem.created_at}


@dataclass
class QueueFilters:
    task: str | None = None
    overdue: bool | None = None
    urgent: bool | None = None
    category: str | None = None
    claimed: str | None = None  # "me" / "none"
    sort: str = "due_at"
    descending: bool = False
    page: int = 1
    per_page: int = 50


def queue_query(user, filters: QueueFilters):
    """The caller's open work items as a query on the work_item index alone (plus case columns)."""
    query = (db.select(WorkItem).join(Case, Case.id == WorkItem.case_id)
             .where(WorkItem.state == "open"))
    mine = queue_condition(user)  # exactly the items the caller may act on
    if mine is None:
        raise Forbidden("only portal and agency staff have a work queue")
    query = query.where(mine)
    now = utcnow()
    if filters.task:
        query = query.where(WorkItem.bpmn_id == filters.task)
    if filters.overdue is True:
        query = query.where(WorkItem.due_at < now)
    elif filters.overdue is False:
        query = query.where(db.or_(WorkItem.due_at.is_(None), WorkItem.due_at >= now))
    if filters.urgent is not None:
        query = query.where(Case.urgent.is_(filters.urgent))
    if filters.category:
        query = query.join(Category, Category.id == Case.category_id).where(
            Category.code == filters.category)
    if filters.claimed == "me":
        query = query.where(WorkItem.claimed_by_id == user.id)
    elif filters.claimed == "none":
        query = query.where(WorkItem.claimed_by_id.is_(None))
    column = SORTABLE.get(filters.sort)
    if column is None:
        raise ValidationFailed("unknown sort", {"sort": [f"one of {', '.join(SORTABLE)}"]})
    order = column.desc() if filters.descending else column.asc()
    return query.order_by(column.is_(None), order, WorkItem.created_at, WorkItem.id)


def queue_tasks(user) -> list[tuple[str, str]]:
    """(BPMN id, name) of the tasks now open in the caller's queue: the task filter's choices."""
    mine = queue_condition(user)
    if mine is None:
        return []
    rows = db.session.execute(db.select(WorkItem.bpmn_id, db.func.max(WorkItem.task_name))
                              .where(WorkItem.state == "open", mine)
                              .group_by(WorkItem.bpmn_id).order_by(WorkItem.bpmn_id))
    return [(bpmn_id, name or bpmn_id) for bpmn_id, name in rows]


def work_queue(user, filters: QueueFilters) -> tuple[list[dict], int]:
    """A page of the caller's queue and the total count."""
    query = queue_query(user, filters)
    total = db.session.scalar(db.select(db.func.count()).select_from(query.order_by(None).subquery()))
    page = max(filters.page, 1)
    per_page = min(max(filters.per_page, 1), 200)
    items = list(db.session.scalars(query.offset((page - 1) * per_page).limit(per_page)).unique())
    return [work_item_dict(item) for item in items], total


def _usernames(ids) -> dict[int, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return dict(db.session.execute(db.select(User.id, User.username).where(User.id.in_(ids))).all())


def work_item_dict(item: WorkItem, names: dict | None = None) -> dict:
    """The JSON shape of a work item (the task list row)."""
    now = utcnow()
    if names is None:
        names = _usernames([item.claimed_by_id])
    case = item.case
    return {"id": item.id, "tracking_code": case.tracking_code, "task": item.bpmn_id,
            # the diagram's name of the step, in the UI language (label_en in English)
            "task_name": element_label(case.process_version_id, item.bpmn_id, default=item.task_name),
            "form": item.form_key, "title": case.title,
            "category": case.category.code, "urgent": bool(case.urgent),
            "created_at": iso(item.created_at), "due_at": iso(item.due_at),
            "overdue": bool(item.due_at and item.due_at < now),
            "claimed_by": names.get(item.claimed_by_id), "state": item.state,
            "queue": item.queue,
            "agency": case.current_agency.code if item.queue in AGENCY_QUEUES and case.current_agency else None}


def iso(value) -> str | None:
    """Instants leave the API as ISO-8601 with an offset."""
    return value.isoformat() if value is not None else None


def deadline_rows(case: Case) -> list[dict]:
    """Every deadline of the case with its state; a breach is a fired deadline."""
    rows = db.session.scalars(db.select(Deadline).where(Deadline.case_id == case.id)
                              .order_by(Deadline.started_at, Deadline.id))
    now = utcnow()
    return [{"phase": d.phase, "task": d.attached_to, "started_at": iso(d.started_at),
             "due_at": iso(d.due_at), "state": d.state, "fired_at": iso(d.fired_at),
             "breached": d.state == "fired" or (d.state == "pending" and d.due_at < now)}
            for d in rows]


def case_detail(user, tracking_code: str) -> dict:
    """The staff view of a case, with the reporter's identity only where allowed."""
    case = get_by_tracking_code(tracking_code)
    require_case(user, case)
    identity = sees_reporter_identity(user, case)
    if identity and user.role in ("officer", "leader"):
        _record_disclosure_once(user, case)
    events = db.session.scalars(db.select(CaseEvent).where(CaseEvent.case_id == case.id)
                                .order_by(CaseEvent.at, CaseEvent.id))
    photos = db.session.scalars(db.select(CasePhoto.id).where(CasePhoto.case_id == case.id)
                                .order_by(CasePhoto.id))
    breaches = db.session.scalars(db.select(Breach).where(Breach.case_id == case.id)
                                  .order_by(Breach.fired_at))
    audit = [{"at": iso(e.at), "actor": e.actor_label, "kind": e.kind,
              "phase_before": e.phase_before, "phase_after": e.phase_after,
              "public": e.public, "detail": dict(e.detail or {})} for e in events]
    add_readable_values(case.process_version_id, audit)  # task_completed: labelled values
    return {
        "tracking_code": case.tracking_code, "status": case.status, "phase": case.phase,
        "process_error": case.process_error,
        "phase_name": element_label(case.process_version_id, case.phase) if case.phase else "",
        "category": case.category.code, "category_name": case.category.name,
        "district": case.district.code if case.district else None,
        "district_name": case.district.name if case.district else None,
        "district_name_en": case.district.name_en if case.district else None,
        "description": case.description, "address": case.address, "lat": case.lat,
        "lon": case.lon, "urgent": bool(case.urgent), "created_at": iso(case.created_at),
        "updated_at": iso(case.updated_at), "closed_at": iso(case.closed_at),
        "reporter": ({"full_name": case.reporter_name, "phone": case.reporter_phone,
                      "email": case.reporter_email} if identity else None),
        "consent_share_identity": bool(case.consent_share_identity),
        "current_agency": case.current_agency.code if case.current_agency else None,
        "return_count": case.return_count, "resolution": case.resolution,
        "public_response": case.public_response, "reject_reason": case.reject_reason,
        "agencies": [{"seq": a.seq, "code": a.agency.code, "name": a.agency.name,
                      "assigned_at": iso(a.assigned_at), "urgent": a.urgent,
                      "outcome": a.outcome, "outcome_at": iso(a.outcome_at),
                      "return_reason": a.return_reason, "late_return": a.late_return}
                     for a in case.assignments],
        "deadlines": deadline_rows(case),
        "breaches": [{"phase": b.phase, "due_at": iso(b.due_at), "fired_at": iso(b.fired_at)}
                     for b in breaches],
        "photos": list(photos),
        "audit": audit,
    }


def _record_disclosure_once(user, case: Case) -> None:
    seen = db.session.scalar(db.select(CaseEvent.id).where(
        CaseEvent.case_id == case.id, CaseEvent.kind == "identity_disclosed",
        CaseEvent.actor_id == user.id).limit(1))
    if seen is None:
        record_case_event(case, "identity_disclosed", user, phase_before=case.phase,
                          phase_after=case.phase, detail={"agency": user.agency.code if user.agency else None})
        db.session.commit()


PUBLIC_EVENT_KINDS = {"submitted", "dispatched", "rejected", "returned", "late_return",
                      "resolved", "published"}


def public_status(tracking_code: str) -> dict:
    """What anyone holding the tracking code may see: never the reporter's identity."""
    case = get_by_tracking_code(tracking_code)
    events = db.session.scalars(db.select(CaseEvent).where(
        CaseEvent.case_id == case.id, CaseEvent.public.is_(True)).order_by(CaseEvent.at, CaseEvent.id))
    agency_names = dict(db.session.execute(db.select(Agency.code, Agency.name)).all())
    timeline = []
    for event in events:
        entry = {"at": iso(event.at), "kind": event.kind}
        if event.kind == "dispatched":
            entry["agency"] = agency_names.get(event.detail.get("agency"))
        timeline.append(entry)
    current_due = db.session.scalar(db.select(Deadline.due_at).where(
        Deadline.case_id == case.id, Deadline.state == "pending",
        Deadline.attached_to == Deadline.phase).order_by(Deadline.due_at).limit(1))
    return {"tracking_code": case.tracking_code, "status": case.status, "phase": case.phase,
            "category": case.category.code, "category_name": case.category.name,
            "created_at": iso(case.created_at), "closed_at": iso(case.closed_at),
            "current_due_at": iso(current_due),
            "agency": case.current_agency.name if case.current_agency else None,
            "timeline": timeline,
            "reply": case.public_response if case.status in ("closed", "rejected") else None}
