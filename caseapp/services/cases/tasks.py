"""Staff commands on work items: claim, unclaim and complete a task."""
from __future__ import annotations

from sqlalchemy.orm import lazyload

from ...extensions import db
from ...models import WorkItem, utcnow
from ..access import require_work_item
from ..administration.processes import runner_for
from ..administration.sla_settings import DueCalculator
from ..errors import Conflict, Forbidden, NotFound
from .steps import step_for
from .unit_of_work import CaseUnitOfWork
from .task_forms import clean_submission


def get_work_item(user, item_id: str) -> WorkItem:
    """A work item the caller may see."""
    item = db.session.get(WorkItem, str(item_id))
    if item is None:
        raise NotFound("no such work item")
    require_work_item(user, item)
    return item


def _locked_open_item(uow: CaseUnitOfWork, user, item_id: str):
    """The work item and its case, read after the case is locked, so both are current."""
    case = uow.lock_for_item(item_id)
    item = uow.session.scalars(db.select(WorkItem).options(lazyload(WorkItem.case))
                               .where(WorkItem.id == str(item_id))
                               .execution_options(populate_existing=True)).one()
    require_work_item(user, item)
    if item.state != "open":
        raise Conflict("this task has already been completed", code="already_completed")
    return item, case


def claim(user, item_id: str) -> WorkItem:
    """Take a task so colleagues see it is being worked on."""
    with CaseUnitOfWork(user) as uow:
        item, case = _locked_open_item(uow, user, item_id)
        if item.claimed_by_id not in (None, user.id):
            raise Conflict("this task is already claimed by a colleague", code="claimed")
        item.claimed_by_id, item.claimed_at = user.id, utcnow()
        uow.record(case, "claimed", phase_before=case.phase, phase_after=case.phase,
                   detail={"task": item.bpmn_id})
    return item


def unclaim(user, item_id: str) -> WorkItem:
    """Give a task back; a supervisor or leader may release a colleague's claim."""
    with CaseUnitOfWork(user) as uow:
        item, case = _locked_open_item(uow, user, item_id)
        if item.claimed_by_id not in (None, user.id) and user.role not in ("supervisor", "leader"):
            raise Forbidden("only the colleague who claimed it, or a supervisor, may release it")
        item.claimed_by_id, item.claimed_at = None, None
        uow.record(case, "unclaimed", phase_before=case.phase, phase_after=case.phase,
                   detail={"task": item.bpmn_id})
    return item


def complete(user, item_id: str, data: dict):
    """Submit a task's form: validate, run the process, record everything, in one transaction."""
    with CaseUnitOfWork(user) as uow:
        item, case = _locked_open_item(uow, user, item_id)
        if item.claimed_by_id not in (None, user.id):
            raise Conflict("this task is claimed by a colleague", code="claimed")
        values = clean_submission(case.process_version_id, item.bpmn_id, item.form_key, data, case)
        step = step_for(item.form_key)
        phase_before = case.phase
        step.before(uow, case, item, values)
        snapshot = runner_for(case.process_version_id, DueCalculator()).complete(
            case.workflow_state, item.id, values)
        uow.apply(case, snapshot, completed_task_id=item.id)
        step.after(uow, case, item, values, snapshot, phase_before)
    return case
