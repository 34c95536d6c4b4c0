"""check_diagram: the one set of diagram rules, used by deploy (web upload, CLI, seed) and by the
modeler's live check. Engine findings first (parse, form keys, sandbox), then the application's
rules (administration/process_checks.py), then the shape of the graph (graph.py); the dry run of
a new report only when nothing else is an error (it needs runnable scripts and every policy)."""
from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from flask import current_app, has_request_context

from ...engine import CompiledProcess
from ...engine.diagram_rules import examine
from ...models import utcnow
from . import graph
from .problems import ERROR, Problem, errors_of

_ORDER = {ERROR: 0}


def check_diagram(xml: str | bytes, policies=None, at: datetime | None = None) -> list[Problem]:
    """Every problem of a diagram, errors first, each on its element when it has one."""
    return inspect_diagram(xml, policies, at)[1]


def inspect_diagram(xml: str | bytes, policies=None, at: datetime | None = None
                    ) -> tuple[CompiledProcess | None, list[Problem]]:
    """(compiled process or None, problems): what deploy needs to store the version too."""
    from ..administration.process_checks import application_problems, first_step_problems
    examination = examine(xml)
    compiled = examination.compiled
    root = graph.parse(xml)
    shape = graph.build(root) if root is not None else None
    problems = [Problem(ERROR, f.rule, _flow_of(shape, f) or f.element_id, None, f.message)
                for f in examination.findings]
    if compiled is not None:
        problems += application_problems(compiled, at or utcnow(), policies)
    if shape is not None:
        problems += graph.reach_problems(shape)
        problems += graph.gateway_problems(shape, built_in_choices)
    if compiled is not None and not errors_of(problems):
        problems += first_step_problems(compiled)
    names = graph.element_names(root) if root is not None else {}
    problems = [p if p.element_name or not p.element_id else
                Problem(p.severity, p.rule, p.element_id, names.get(p.element_id), p.message)
                for p in problems]
    problems.sort(key=lambda p: _ORDER.get(p.severity, 1))
    return compiled, problems


def _flow_of(shape, finding) -> str | None:
    """A refused flow condition is marked on its sequence flow, not on the gateway."""
    if shape is None or not finding.flow_target:
        return None
    for flow in shape.outgoing.get(finding.element_id, []):
        if flow.get("targetRef") == finding.flow_target:
            return flow.get("id")
    return None


def built_in_choices(form_key: str) -> dict[str, frozenset[str]]:
    """The required choice fields of a built-in step (what its gateway conditions may rely on)."""
    return dict(_built_in_choices(form_key))


@lru_cache(maxsize=8)
def _built_in_choices(form_key: str) -> tuple:
    from ..cases.steps import BUILT_IN
    step = BUILT_IN.get(form_key)
    if step is None:
        return ()
    # only required choices: their options are fixed in code (the agencies' list is not cached)
    if has_request_context():
        fields = step.fields()
    else:  # deploy from the CLI or the seed: the labels need a request's language, not used here
        with current_app.test_request_context("/"):
            fields = step.fields()
    return tuple((f.id, frozenset(key for key, _ in f.options)) for f in fields
                 if f.type == "enum" and f.required)
