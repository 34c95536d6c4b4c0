"""BPMN scripts and expressions cannot escape; a failing case is left exactly as it was."""
from pathlib import Path

import pytest

from caseapp.extensions import db
from caseapp.models import Case, CaseEvent, Deadline, ProcessVersion, WorkItem
from caseapp.services.cases import tasks as work_items
from caseapp.services.errors import ServiceError, ValidationFailed
from caseapp.services.administration.processes import deploy_bpmn
from caseapp.services.cases.submission import submit_report

from .helpers import REPORT

BUNDLED = (Path(__file__).resolve().parents[2] / "bpmn" / "field_report.bpmn").read_text(encoding="utf-8")
ESCAPES = ["__import__('os').system('true')", "open('/etc/passwd').read()",
           "().__class__.__mro__[1].__subclasses__()"]
URGENT_SCRIPT = "notify('agency_leader', reason='urgent', agency=agency)"


def with_urgent_script(script: str) -> str:
    assert URGENT_SCRIPT in BUNDLED, "the bundled diagram's urgent script changed"
    return BUNDLED.replace(URGENT_SCRIPT, script)


@pytest.mark.parametrize("escape", ESCAPES)
def test_deploy_refuses_escaping_scripts(seeded, escape):
    before = db.session.scalar(db.select(db.func.count()).select_from(ProcessVersion))
    with pytest.raises(ValidationFailed) as info:
        deploy_bpmn(with_urgent_script(escape))
    assert "notify_urgent" in info.value.message or "script" in info.value.message.lower()
    assert db.session.scalar(db.select(db.func.count()).select_from(ProcessVersion)) == before


@pytest.mark.parametrize("escape", ESCAPES)
def test_running_case_left_as_it_was(seeded, users, escape):
    """A version stored before validation existed still cannot escape at run time."""
    from caseapp.engine import compile_bpmn
    active = db.session.scalars(db.select(ProcessVersion)).one()
    compiled = compile_bpmn(BUNDLED)
    spec = compiled.spec_json.replace(URGENT_SCRIPT, escape)
    assert spec != compiled.spec_json
    active.spec_json = spec
    db.session.commit()
    case, _ = submit_report(dict(REPORT))
    item = db.session.scalars(db.select(WorkItem).where(WorkItem.case_id == case.id)).one()
    snapshot_before = (case.workflow_state, case.lock_version, case.phase)
    events_before = db.session.scalar(db.select(db.func.count()).select_from(CaseEvent))
    deadlines_before = [(d.id, d.state) for d in db.session.scalars(db.select(Deadline))]
    with pytest.raises(ServiceError) as info:
        work_items.complete(users["operator"], item.id,
                            {"action": "dispatch", "agency": "police", "urgent": True})
    assert info.value.code == "process_error"
    db.session.expire_all()
    fresh = db.session.get(Case, case.id)
    assert (fresh.workflow_state, fresh.lock_version, fresh.phase) == snapshot_before
    assert fresh.assignments == [] and fresh.current_agency_id is None
    assert db.session.scalar(db.select(db.func.count()).select_from(CaseEvent)) == events_before
    assert [(d.id, d.state) for d in db.session.scalars(db.select(Deadline))] == deadlines_before
    assert db.session.get(WorkItem, item.id).state == "open"
