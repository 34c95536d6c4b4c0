"""Parsing, validating and serialising a BPMN document into a deployable CompiledProcess."""

from __future__ import annotations

import hashlib

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.parser.BpmnParser import full_tag
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.parser.task_spec import UserTaskParser
from SpiffWorkflow.camunda.specs.user_task import UserTask
from SpiffWorkflow.exceptions import SpiffWorkflowException

from . import analysis, sandbox
from .errors import BpmnValidationError, EngineError, ScriptValidationError
from .serialization import load_spec, spec_to_json
from .types import CompiledProcess

MAX_BPMN_BYTES = 5 * 1024 * 1024

# No DTDs, no external entities, no network: uploaded XML is untrusted.
_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                              huge_tree=False, remove_blank_text=False)

_validator: BpmnValidator | None = None


class _UserTaskParser(UserTaskParser):
    """Camunda's user task parser, also keeping camunda:candidateGroups, which Spiff 3.2 drops.

    The value goes into the task spec's `extensions`, which Spiff's spec serializer writes and
    restores, so it survives in the stored spec_json with no change to serialization.py.
    """

    def parse_extensions(self, node=None):
        extensions = super().parse_extensions(node)
        groups = self.attribute("candidateGroups", "camunda")
        if groups is not None:
            extensions[analysis.CANDIDATE_GROUPS] = groups
        return extensions


class _Parser(CamundaParser):
    """The Camunda parser with the user task parser above."""

    OVERRIDE_PARSER_CLASSES = {**CamundaParser.OVERRIDE_PARSER_CLASSES,
                               full_tag("userTask"): (_UserTaskParser, UserTask)}


def _schema_validator() -> BpmnValidator:
    global _validator
    if _validator is None:
        _validator = BpmnValidator()
    return _validator


def compile_bpmn(xml: str | bytes) -> CompiledProcess:
    """Parse, validate (schema, form keys, sandboxed scripts) and serialise a BPMN once per version."""
    data = xml.encode("utf-8") if isinstance(xml, str) else bytes(xml)
    if len(data) > MAX_BPMN_BYTES:
        raise BpmnValidationError(f"the BPMN document is larger than {MAX_BPMN_BYTES} bytes")
    process_id, spec, subprocess_specs = parse_process(data)
    facts = analysis.facts(spec, subprocess_specs)
    for task in facts.user_tasks:
        if not task.form_key:
            raise BpmnValidationError(f"user task '{task.bpmn_id}' has no camunda:formKey")
    _check_scripts(spec, subprocess_specs)
    return compiled_process(data, process_id, spec, subprocess_specs, facts)


def parse_process(data: bytes):
    """(process id, spec, subprocess specs) of a document, or BpmnValidationError (with `.line`
    and `.bpmn_id` when the parser says where)."""
    root = _parse_xml(data)
    parser = _Parser(validator=_schema_validator())
    try:
        parser.add_bpmn_xml(root, filename="upload.bpmn")
        process_id = _single_executable_process(parser)
        return process_id, parser.get_spec(process_id), parser.get_subprocess_specs(process_id)
    except EngineError:
        raise
    except ValidationException as exc:
        error = BpmnValidationError(_describe(exc))
        error.bpmn_id = getattr(exc, "id", None) or None
        error.line = getattr(exc, "line_number", None) or None
        raise error from None
    except SpiffWorkflowException as exc:
        raise BpmnValidationError(f"the BPMN document is not valid: {exc}") from None
    except Exception as exc:  # parser bugs surface as arbitrary exceptions
        raise BpmnValidationError(f"the BPMN document cannot be parsed: {type(exc).__name__}: {exc}") from None


def compiled_process(data: bytes, process_id: str, spec, subprocess_specs,
                     facts: analysis.SpecFacts | None = None) -> CompiledProcess:
    """Serialise a parsed process into the CompiledProcess a version stores."""
    facts = facts or analysis.facts(spec, subprocess_specs)
    spec_json = spec_to_json(process_id, spec, subprocess_specs)
    load_spec(spec_json)  # proves the spec round-trips, and warms the runner cache
    return CompiledProcess(
        process_id=process_id,
        bpmn_sha256=hashlib.sha256(data).hexdigest(),
        spec_json=spec_json,
        user_tasks=facts.user_tasks,
        timers=tuple(facts.timers.values()),
        phases=analysis.sla_phases(spec, subprocess_specs),
    )


def _parse_xml(data: bytes):
    try:
        root = etree.fromstring(data, parser=_XML_PARSER)
    except etree.XMLSyntaxError as exc:
        error = BpmnValidationError(f"the document is not well-formed XML: {exc}")
        error.line = getattr(exc, "lineno", None)
        raise error from None
    if root is None:
        raise BpmnValidationError("the document is empty")
    return root


def _single_executable_process(parser: CamundaParser) -> str:
    ids = parser.get_process_ids()
    if not ids:
        raise BpmnValidationError('the document has no executable process (isExecutable="true")')
    if len(ids) > 1:
        raise BpmnValidationError(f"the document has several executable processes ({', '.join(ids)}); "
                                  "one process per file")
    return ids[0]


def _check_scripts(spec, subprocess_specs) -> None:
    for bpmn_id, message, _target in script_problems(spec, subprocess_specs):
        raise ScriptValidationError(message, bpmn_id)


def script_problems(spec, subprocess_specs) -> list[tuple[str, str, str | None]]:
    """(bpmn id, why, target) for every script or expression the sandbox refuses to compile;
    `target`: for a flow's condition, the element the flow leads to (else None)."""
    problems = []
    for bpmn_id, kind, source, mode in analysis.expressions(spec, subprocess_specs):
        try:
            sandbox.compile_source(source, mode)
        except sandbox.SandboxViolation as exc:
            snippet = " ".join(source.split())[:120]
            target = kind.split("'")[1] if kind.startswith("condition of the flow to '") else None
            problems.append((bpmn_id, f"the {kind} of '{bpmn_id}' ({snippet!r}) is not allowed: "
                                      f"{exc}", target))
    return problems


def _describe(exc: ValidationException) -> str:
    where = []
    if getattr(exc, "id", ""):
        where.append(f"element '{exc.id}'")
    if getattr(exc, "tag", ""):
        where.append(f"<{exc.tag}>")
    if getattr(exc, "line_number", ""):
        where.append(f"line {exc.line_number}")
    message = str(exc.args[0]) if exc.args else str(exc)
    return f"{message.rstrip('. ')} ({', '.join(where)})" if where else message
