"""The BPMN diagram of a case with its tasks marked, for the bpmn-js viewer."""
from __future__ import annotations

from ..access import require_case
from ..administration.processes import runner_for, version_xml_for_reader
from ..cases.submission import get_by_tracking_code


def case_diagram(user, tracking_code: str) -> dict:
    """The XML of the case's own process version (element names in the UI language) and the
    state of each element."""
    case = get_by_tracking_code(tracking_code)
    require_case(user, case)
    xml = version_xml_for_reader(case.process_version_id)  # names in the page's language
    marks = runner_for(case.process_version_id).inspect(case.workflow_state).task_marks
    return {"xml": xml, "marks": dict(marks)}
