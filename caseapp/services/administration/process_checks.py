"""The application's rules for a compiled diagram (part of process_design.rules.check_diagram).

The engine has already said what it cannot run (bad XML, schema, sandbox); these checks are
about this application: the built-in steps the main process needs, a queue for every user task,
a form the app can show for every user task, an SLA policy for every phase the diagram names
with sla_due('<phase>'), timers that evaluate in the business calendar, and a new report that
gets through the first steps (dry run). Each returns Problems on the element concerned.
"""
from __future__ import annotations

from datetime import datetime

from caseapp.calendar.sla import PHASE_NAME_RULE, due_at, is_phase_name

from ...engine import CompiledProcess, EngineError, ProcessRunner
from ...engine.analysis import queue_problem
from ...engine.diagram_rules import phase_uses, timer_problem, timers
from ..cases.steps import BUILT_IN
from ..cases.task_forms import task_form_problems
from ..process_design.problems import ERROR, Problem
from .script_functions import script_functions
from .sla_settings import load_calendar, load_policies

MAIN_PROCESS = "field_report"


def _error(rule: str, element_id: str | None, message: str) -> Problem:
    return Problem(ERROR, rule, element_id, None, message)


def sla_set_command(phase: str) -> str:
    """The exact command that creates a phase's policy (durations to adapt)."""
    return f"flask --app wsgi sla set {phase} --working PT8H --dayoff PT24H"


def phase_problems(compiled: CompiledProcess, policies=None) -> list[Problem]:
    """A phase without an SLA policy would break every case reaching it: name it, where, the fix."""
    policies = load_policies() if policies is None else policies
    problems = []
    for bpmn_id, phase in phase_uses(compiled.spec_json):
        if not is_phase_name(phase):
            problems.append(_error("sla_policy", bpmn_id,
                                   f"the phase {phase!r} in sla_due(...) of '{bpmn_id}' is not a "
                                   f"valid phase name ({PHASE_NAME_RULE})"))
        elif phase not in policies:
            problems.append(_error("sla_policy", bpmn_id,
                                   f"the phase '{phase}' (timer or expression '{bpmn_id}') has no "
                                   f"SLA policy; create it with: {sla_set_command(phase)} (adapt "
                                   "the durations), or in Administration > SLA deadlines > New phase"))
    return problems


def built_in_step_problems(compiled: CompiledProcess) -> list[Problem]:
    """The main process must keep the built-in steps the application handles in code."""
    if compiled.process_id != MAIN_PROCESS:
        return []
    missing = set(BUILT_IN) - {t.form_key for t in compiled.user_tasks}
    return [_error("built_in_step", None,
                   f"missing user tasks with form keys {sorted(missing)}: the application needs "
                   "a user task with each of them (add one, or restore the form key)")] \
        if missing else []


def queue_rule_problems(compiled: CompiledProcess) -> list[Problem]:
    """A user task nobody can work from (no queue, several, an unknown one)."""
    return [_error("queue", task.bpmn_id, message) for task in compiled.user_tasks
            if (message := queue_problem(task))]


def form_rule_problems(compiled: CompiledProcess) -> list[Problem]:
    """A form key with no form behind it, a field type or constraint the forms cannot handle."""
    return [_error(kind, bpmn_id, message) for bpmn_id, kind, message in task_form_problems(compiled)]


def timer_problems(compiled: CompiledProcess, at: datetime, policies=None,
                   calendar=None) -> list[Problem]:
    """Dry run of each timer in the business calendar at `at` (phases without policy skipped:
    phase_problems names them)."""
    policies = load_policies() if policies is None else policies
    calendar = load_calendar() if calendar is None else calendar
    missing = {bpmn_id for bpmn_id, phase in phase_uses(compiled.spec_json) if phase not in policies}

    def sla_due(phase, start=None):
        policy = policies.get(phase)
        if policy is None:
            raise ValueError(f"no SLA policy for phase {phase!r}")
        return due_at(start or at, policy, calendar).isoformat()

    functions = {**script_functions(), "sla_due": sla_due}
    problems = []
    for bpmn_id, kind, expression in timers(compiled.spec_json):
        if bpmn_id in missing:
            continue
        message = timer_problem(bpmn_id, kind, expression, functions, SAMPLE_START_DATA)
        if message:
            problems.append(_error("timer", bpmn_id, message))
    return problems


# what a citizen's report gives a new instance (services/cases/submission.py)
SAMPLE_START_DATA = {"tracking_code": "CM-TEST-0000", "category": "other", "reported_urgent": False}


def first_step_problems(compiled: CompiledProcess) -> list[Problem]:
    """Dry run: a diagram whose scripts or timers fail on a new report would stop every report."""
    try:
        ProcessRunner(compiled.spec_json, script_functions()).start(dict(SAMPLE_START_DATA))
    except EngineError as exc:
        return [_error("dry_run", getattr(exc, "bpmn_id", None),
                       f"a new report fails at the diagram's first steps (dry run on sample "
                       f"data): {exc}")]
    return []


def application_problems(compiled: CompiledProcess, at: datetime, policies=None) -> list[Problem]:
    """Every application rule on a compiled diagram, so the designer fixes them all in one go."""
    policies = load_policies() if policies is None else policies
    problems = built_in_step_problems(compiled)
    problems += queue_rule_problems(compiled)
    problems += form_rule_problems(compiled)
    problems += phase_problems(compiled, policies)
    problems += timer_problems(compiled, at, policies)
    return problems
