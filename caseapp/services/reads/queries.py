"""Read models: task lists, case views and the public status, with the confidentiality rules."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import joinedload

from ...extensions import db
from ...models import (Agency, Breach, Case, CaseEvent, CasePhoto, Category, Deadline, User,
                      WorkItem, utcnow)
from ..access import AGENCY_QUEUES, queue_condition, require_case
from ..cases.task_forms import add_readable_values
from ..errors import Forbidden, ValidationFailed
from ..administration.processes import element_label
from ..cases.submission import get_by_tracking_code
from ..privacy.disclosure import show_identity

SORTABLE = {"due_at": WorkItem.due_at, "created_at": WorkItem.created_at}


@dataclass
class QueueFilters:
    task: str | None = None
    overdue: bool | None = None
    urgent: bool | None = None
    category: str | None = None
    claimed: str | None = None  # "me" / "none"
    q: str | None = None        # a tracking code (exact) or words of the description/address
    sort: str = "due_at"
    descending: bool = False
    page: int = 1
    per_page: int = 50


def queue_query(user, filters: QueueFilters):
    """The caller's open work items as a query on the work_item index alone (plus case columns)."""
    query = db.select(WorkItem).where(WorkItem.state == "open")
    mine = queue_condition(user)  # exactly the items the caller may act on
    if mine is None:
        raise Forbidden("only portal and agency staff have a work queue")
    query = query.where(mine)
    if filters.urgent is not None or filters.category or filters.q:
        # only then: PostgreSQL does not drop a needless join, and the count would read every
        # case of the queue
        query = query.join(Case, Case.id == WorkItem.case_id)
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
    if filters.q:
        query = query.where(text_search(filters.q))
    if filters.claimed == "me":
        query = query.where(WorkItem.claimed_by_id == user.id)
    elif filters.claimed == "none":
        query = query.where(WorkItem.claimed_by_id.is_(None))
    column = SORTABLE.get(filters.sort)
    if column is None:
        raise ValidationFailed("unknown sort", {"sort": [f"one of {', '.join(SORTABLE)}"]})
    # NULLS LAST (no due time at the end) as the open-queue indexes store it: the first page is
    # read in index order instead of sorting the whole queue
    order = (column.desc() if filters.descending else column.asc()).nulls_last()
    return query.order_by(order, WorkItem.created_at, WorkItem.id)


MAX_SEARCH_WORDS = 10


def text_search(text: str):
    """What a search box finds: the case whose tracking code is typed (in any letter case, spaces
    around it ignored), or the cases with every typed word in their description or address."""
    text = " ".join(text.split())[:200]
    words = text.split(" ")[:MAX_SEARCH_WORDS]
    code = text.upper()
    # SQLite's ILIKE folds ASCII letters only: there, also try the usual spellings of each word
    # (lower case, capitalised, upper case) so "đèn" finds "Đèn" as PostgreSQL's ILIKE does
    folds_unicode = db.session.get_bind().dialect.name == "postgresql"
    conditions = []
    for word in words:
        spellings = [word] if folds_unicode else list(dict.fromkeys(
            (word, word.lower(), word.capitalize(), word.upper())))
        likes = ["%" + w.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
                 for w in spellings]
        conditions.append(db.or_(*(column.ilike(like, escape="\\") for like in likes
                                   for column in (Case.description, Case.address))))
    return db.or_(Case.tracking_code == code, db.and_(*conditions))


def queue_tasks(user) -> list[tuple[str, str]]:
    """(BPMN id, name) of the tasks now open in the caller's queue: the task filter's choices.

    A queue holds a handful of different tasks but may hold tens of thousands of items: each
    task is found by one index probe past the previous one, not by grouping every item."""
    mine = queue_condition(user)
    if mine is None:
        return []
    tasks, last = [], ""
    while True:
        row = db.session.execute(db.select(WorkItem.bpmn_id, WorkItem.task_name)
                                 .where(WorkItem.state == "open", mine, WorkItem.bpmn_id > last)
                                 .order_by(WorkItem.bpmn_id).limit(1)).first()
        if row is None:
            return tasks
        tasks.append((row.bpmn_id, row.task_name or row.bpmn_id))
        last = row.bpmn_id


def work_queue(user, filters: QueueFilters) -> tuple[list[dict], int]:
    """A page of the caller's queue and the total count."""
    query = queue_query(user, filters)
    total = db.session.scalar(db.select(db.func.count()).select_from(query.order_by(None).subquery()))
    page = max(filters.page, 1)
    per_page = min(max(filters.per_page, 1), 200)
    items = list(db.session.scalars(query.options(_QUEUE_CASE_COLUMNS)
                                    .offset((page - 1) * per_page).limit(per_page)).unique())
    names = _usernames(item.claimed_by_id for item in items)
    return [work_item_dict(item, names) for item in items], total


# A row of the list shows a few columns of its case: never its workflow state (~12 kB of JSON)
# or the reporter's identity (decrypted on load), which the full case would read for every row.
_QUEUE_CASE_COLUMNS = joinedload(WorkItem.case).load_only(
    Case.tracking_code, Case.description, Case.urgent, Case.process_version_id,
    Case.category_id, Case.current_agency_id)


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
    """Every deadline of the case, in words a person can act on: whose it is (the portal or an
    agency), whether it is a step's deadline (`kind` "step": the timer's phase is the step it
    is attached to) or a window on a step (`kind` "window", e.g. the agency's window to return
    the report), and where it stands (`standing`); a breach is a fired deadline."""
    rows = db.session.execute(
        db.select(Deadline, Agency.code, WorkItem.state, WorkItem.completed_at)
        .outerjoin(Agency, Agency.id == Deadline.agency_id)
        .outerjoin(WorkItem, WorkItem.id == Deadline.attached_task_id)
        .where(Deadline.case_id == case.id)
        .order_by(Deadline.started_at, Deadline.id)).all()
    now = utcnow()
    result = []
    for d, agency_code, item_state, done_at in rows:
        kind = "step" if d.phase == d.attached_to else "window"
        passed = d.state == "fired" or (d.state == "pending" and d.due_at < now)
        standing = _standing(kind, d, passed, item_state, done_at, case)
        result.append({
            "phase": d.phase, "task": d.attached_to, "started_at": iso(d.started_at),
            "due_at": iso(d.due_at), "state": d.state, "fired_at": iso(d.fired_at),
            "breached": passed,
            "kind": kind, "owner": "agency" if d.agency_id else "portal", "agency": agency_code,
            "standing": standing, "done_at": iso(done_at) if item_state == "completed" else None,
            # still late now: a step's deadline passed while the step is open
            "late": kind == "step" and standing == "overdue"})
    return result


def _standing(kind, d: Deadline, passed: bool, item_state, done_at, case: Case) -> str:
    """step: running / overdue / met / done_late / cancelled;
    window: open / closed / ended (its step ended, or its agency no longer holds the case)."""
    step_open = item_state == "open" or (item_state is None and d.state == "pending")
    if kind == "window":
        if d.state == "cancelled" or not step_open or (
                d.agency_id is not None and d.agency_id != case.current_agency_id):
            return "closed" if d.state == "fired" else "ended"
        return "closed" if passed else "open"
    if step_open and d.state != "cancelled":
        return "overdue" if passed else "running"
    if item_state == "completed":
        return "done_late" if (passed or (done_at is not None and done_at > d.due_at)) else "met"
    return "done_late" if d.state == "fired" else "cancelled"


def case_detail(user, tracking_code: str, channel: str = "web") -> dict:
    """The staff view of a case, with the reporter's identity only where allowed (each showing
    recorded: services.privacy.disclosure)."""
    return case_view(user, get_by_tracking_code(tracking_code), channel)


def case_view(user, case: Case, channel: str = "web") -> dict:
    """`case_detail` of a case already at hand (a command's answer: the case it just wrote,
    current in this session, so it is not read again by its tracking code)."""
    require_case(user, case)
    reporter = show_identity(user, case, channel)
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
        "reporter": reporter,
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
