"""The BPMN diagram of a case with its tasks marked, for the bpmn-js viewer."""
from __future__ import annotations

from ...extensions import db
from ...models import ProcessVersion
from ..access import require_case
from ..administration.processes import runner_for
from ..cases.submission import get_by_tracking_code


def case_diagram(user, tracking_code: str) -> dict:
    """The XML of the case's own process version and the state of each element."""
    case = get_by_tracking_code(tracking_code)
    require_case(user, case)
    xml = db.session.scalar(db.select(ProcessVersion.bpmn_xml).where(
        ProcessVersion.id == case.process_version_id))
    marks = runner_for(case.process_version_id).inspect(case.workflow_state).task_marks
    return {"xml": xml, "marks": dict(marks)}
