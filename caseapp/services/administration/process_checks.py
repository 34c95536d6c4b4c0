"""Every reason to refuse deploying a compiled diagram, in one place (web upload, CLI, seed).

The engine has already refused what it cannot run (bad XML, schema, sandbox); these checks are
about this application: the built-in steps the main process needs, a queue for every user task,
a form the app can show for every user task, and an SLA policy for every phase the diagram names
with sla_due('<phase>').
"""
from __future__ import annotations

from caseapp.calendar.sla import PHASE_NAME_RULE, is_phase_name

from ...engine import CompiledProcess, EngineError, ProcessRunner, queue_problems
from ..cases.steps import BUILT_IN
from ..cases.task_forms import form_problems
from .script_functions import script_functions
from .sla_settings import load_policies

MAIN_PROCESS = "field_report"


def sla_set_command(phase: str) -> str:
    """The exact command that creates a phase's policy (durations to adapt)."""
    return f"flask --app wsgi sla set {phase} --working PT8H --dayoff PT24H"


def phase_problems(compiled: CompiledProcess, policies=None) -> list[str]:
    """A phase without an SLA policy would break every case reaching it: name it and its fix."""
    policies = load_policies() if policies is None else policies
    problems = []
    for phase in compiled.phases:
        if not is_phase_name(phase):
            problems.append(f"the phase {phase!r} in sla_due(...) is not a valid phase name "
                            f"({PHASE_NAME_RULE})")
        elif phase not in policies:
            problems.append(f"the phase '{phase}' has no SLA policy; create it with: "
                            f"{sla_set_command(phase)} (adapt the durations), "
                            f"or in Administration > SLA deadlines > New phase")
    return problems


def built_in_step_problems(compiled: CompiledProcess) -> list[str]:
    """The main process must keep the built-in steps the application handles in code."""
    if compiled.process_id != MAIN_PROCESS:
        return []
    missing = set(BUILT_IN) - {t.form_key for t in compiled.user_tasks}
    return [f"missing user tasks with form keys {sorted(missing)}"] if missing else []


# what a citizen's report gives a new instance (services/cases/submission.py)
SAMPLE_START_DATA = {"tracking_code": "CM-TEST-0000", "category": "other", "reported_urgent": False}


def first_step_problems(compiled: CompiledProcess) -> list[str]:
    """Dry run: a diagram whose scripts or timers fail on a new report would stop every report."""
    try:
        ProcessRunner(compiled.spec_json, script_functions()).start(dict(SAMPLE_START_DATA))
    except EngineError as exc:
        return [f"a new report fails at the diagram's first steps (dry run on sample data): {exc}"]
    return []


def deploy_problems(compiled: CompiledProcess, policies=None) -> list[str]:
    """Every reason to refuse this diagram, so the designer fixes them all in one go."""
    problems = built_in_step_problems(compiled)
    problems += queue_problems(compiled.user_tasks)
    problems += form_problems(compiled)
    problems += phase_problems(compiled, policies)
    if not problems:  # the dry run needs the phases' policies and runnable forms
        problems += first_step_problems(compiled)
    return problems
