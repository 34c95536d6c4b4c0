"""Rules on the shape of a diagram, read with lxml: unreachable elements, dead ends, and
exclusive/inclusive gateways whose conditions may all be false.

A gateway whose conditions compare one form field with literals (`action == 'reject'`,
`action in ('a', 'b')`) is known to be complete when the user task before it always sets that
field to one of them (a required choice field, built-in or generated); `c` / `not c` pairs are
complete too. Anything else without a default flow may leave a case stuck: a warning.
"""
from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field

from lxml import etree

from .problems import ERROR, WARNING, Problem

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
B, C = f"{{{BPMN_NS}}}", f"{{{CAMUNDA_NS}}}"
FLOW_NODES = frozenset({
    "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
    "task", "userTask", "scriptTask", "serviceTask", "sendTask", "receiveTask", "manualTask",
    "businessRuleTask", "callActivity", "subProcess", "transaction", "adHocSubProcess",
    "exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway",
    "complexGateway"})
CONTAINERS = frozenset({"subProcess", "transaction", "adHocSubProcess"})
SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                              huge_tree=False)

# form key -> {field id: the option ids it always has} (built-in steps; given by the caller)
ChoicesOf = Callable[[str], dict[str, frozenset[str]]]


def parse(xml: str | bytes):
    """The document's root element, or None when it is not well-formed (the engine says why)."""
    data = xml.encode("utf-8") if isinstance(xml, str) else bytes(xml)
    try:
        return etree.fromstring(data, parser=SAFE_PARSER)
    except etree.XMLSyntaxError:
        return None


def local(element) -> str:
    """The BPMN tag without its namespace ('' for other namespaces)."""
    tag = element.tag if isinstance(element.tag, str) else ""
    return tag[len(B):] if tag.startswith(B) else ""


def element_names(root) -> dict[str, str]:
    """BPMN id -> name, for every named element."""
    return {e.get("id"): e.get("name") for e in root.iter(f"{B}*") if e.get("id") and e.get("name")}


@dataclass
class Graph:
    nodes: dict = field(default_factory=dict)        # id -> element
    outgoing: dict = field(default_factory=dict)     # id -> [flow element]
    incoming: dict = field(default_factory=dict)     # id -> [flow element]
    boundaries: dict = field(default_factory=dict)   # host id -> [boundary ids]


def build(root) -> Graph:
    """The flow nodes of every process (subprocesses included) and their sequence flows."""
    graph = Graph()
    for process in root.iter(f"{B}process"):
        for element in process.iter(f"{B}*"):
            kind = local(element)
            ident = element.get("id")
            if kind in FLOW_NODES and ident:
                graph.nodes[ident] = element
                if kind == "boundaryEvent" and element.get("attachedToRef"):
                    graph.boundaries.setdefault(element.get("attachedToRef"), []).append(ident)
            elif kind == "sequenceFlow":
                graph.outgoing.setdefault(element.get("sourceRef"), []).append(element)
                graph.incoming.setdefault(element.get("targetRef"), []).append(element)
    return graph


def _link_name(element) -> str | None:
    link = element.find(f"{B}linkEventDefinition")
    return None if link is None else (link.get("name") or link.get("id") or "")


def _roots(graph: Graph) -> list[str]:
    roots = []
    for ident, element in graph.nodes.items():
        parent = local(element.getparent())
        if local(element) == "startEvent" and parent == "process":
            roots.append(ident)
        if local(element) in CONTAINERS and element.get("triggeredByEvent") == "true":
            roots.append(ident)
    return roots


def _next(graph: Graph, ident: str) -> list[str]:
    element = graph.nodes[ident]
    found = [flow.get("targetRef") for flow in graph.outgoing.get(ident, [])]
    found += graph.boundaries.get(ident, [])
    if local(element) in CONTAINERS:
        inner = [c.get("id") for c in element if local(c) in FLOW_NODES and c.get("id")]
        starts = [i for i in inner if local(graph.nodes[i]) == "startEvent"]
        found += starts or [i for i in inner if not graph.incoming.get(i)
                            and local(graph.nodes[i]) != "boundaryEvent"]
    if local(element) == "intermediateThrowEvent" and _link_name(element) is not None:
        found += [i for i, e in graph.nodes.items() if local(e) == "intermediateCatchEvent"
                  and _link_name(e) == _link_name(element)]
    return found


def reachable(graph: Graph) -> set[str]:
    """Flow nodes a case can get to from a start event (a boundary event with its host)."""
    seen, stack = set(), _roots(graph)
    while stack:
        ident = stack.pop()
        if ident in seen or ident not in graph.nodes:
            continue
        seen.add(ident)
        stack.extend(_next(graph, ident))
    return seen


def _where(ident: str, element) -> str:
    name = element.get("name")
    return f"'{ident}' ({name})" if name else f"'{ident}'"


def reach_problems(graph: Graph) -> list[Problem]:
    """Unreachable elements (warnings) and dead ends (errors; a non-interrupting boundary event
    may end quietly: its task goes on)."""
    seen = reachable(graph)
    problems = []
    for ident, element in graph.nodes.items():
        kind = local(element)
        if ident not in seen:
            problems.append(Problem(WARNING, "unreachable", ident, element.get("name"),
                                    f"{kind} {_where(ident, element)} cannot be reached from a start "
                                    "event: connect it with a sequence flow, or delete it"))
        if kind == "endEvent" or graph.outgoing.get(ident):
            continue
        if kind == "intermediateThrowEvent" and _link_name(element) is not None:
            continue
        if kind in CONTAINERS and element.get("triggeredByEvent") == "true":
            continue
        if kind == "boundaryEvent" and element.get("cancelActivity") == "false":
            continue  # a deadline marker: its task goes on, nothing ends there
        problems.append(Problem(ERROR, "dead_end", ident, element.get("name"),
                                f"{kind} {_where(ident, element)} has no outgoing sequence flow: a "
                                "case reaching it would stop there with no end event saying how "
                                "it ended; connect it onward or end the path with an end event"))
    return problems


# -- gateways --------------------------------------------------------------------------------

def _condition(flow) -> str | None:
    expression = flow.find(f"{B}conditionExpression")
    if expression is None:
        return None
    return (expression.text or "").strip() or None


def _literals(node) -> tuple[str, frozenset[str]] | None:
    """(field, values) for `field == 'x'`, `'x' == field`, `field in ('x', 'y')`."""
    if not (isinstance(node, ast.Compare) and len(node.ops) == 1):
        return None
    left, op, right = node.left, node.ops[0], node.comparators[0]
    if isinstance(op, ast.Eq):
        if isinstance(right, ast.Name):
            left, right = right, left
        if isinstance(left, ast.Name) and isinstance(right, ast.Constant) \
                and isinstance(right.value, str):
            return left.id, frozenset({right.value})
    if isinstance(op, ast.In) and isinstance(left, ast.Name) \
            and isinstance(right, (ast.Tuple, ast.List, ast.Set)) \
            and all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in right.elts):
        return left.id, frozenset(e.value for e in right.elts)
    return None


def _complementary(trees: list) -> bool:
    dumps = {ast.dump(t) for t in trees}
    return any(isinstance(t, ast.UnaryOp) and isinstance(t.op, ast.Not)
               and ast.dump(t.operand) in dumps for t in trees)


def generated_choices(task) -> dict[str, frozenset[str]]:
    """The choice fields of a generated form that always hold one of their options."""
    found = {}
    for form_field in task.iterfind(f"{B}extensionElements/{C}formData/{C}formField"):
        if form_field.get("type") != "enum":
            continue
        options = frozenset(v.get("id") for v in form_field.iterfind(f"{C}value") if v.get("id"))
        required = any(c.get("name") == "required" and (c.get("config") or "").lower() != "false"
                       for c in form_field.iterfind(f"{C}validation/{C}constraint"))
        if required or form_field.get("defaultValue") in options:
            found[form_field.get("id")] = options
        else:
            found[form_field.get("id")] = frozenset({None})  # may be left empty
    return found


def _declared_fields(task) -> set[str]:
    return {f.get("id") for f in task.iterfind(f"{B}extensionElements/{C}formData/{C}formField")}


def _upstream_choices(graph: Graph, gateway: str, name: str, built_in: ChoicesOf):
    """Every value `name` can hold at the gateway (None inside: unknown or possibly empty)."""
    values, seen = set(), set()
    stack = [flow.get("sourceRef") for flow in graph.incoming.get(gateway, [])]
    if not stack:
        return {None}
    while stack:
        ident = stack.pop()
        if ident in seen:
            continue
        seen.add(ident)
        element = graph.nodes.get(ident)
        if element is None:
            return {None}
        if local(element) == "userTask":
            key = element.get(f"{C}formKey") or ""
            choices = {**generated_choices(element), **built_in(key)}
            if name in choices:
                values |= choices[name]
                continue
            if name in _declared_fields(element):
                return {None}  # set there, but not as a required choice
        sources = [flow.get("sourceRef") for flow in graph.incoming.get(ident, [])]
        if local(element) == "boundaryEvent":
            sources.append(element.get("attachedToRef"))
        if not sources:
            return {None}  # reached a start: the value comes from nowhere we know
        stack.extend(sources)
    return values


def _complete(graph: Graph, gateway: str, conditions: list[str], built_in: ChoicesOf) -> bool:
    try:
        trees = [ast.parse(c, mode="eval").body for c in conditions]
    except SyntaxError:
        return False  # the script rule reports it
    if _complementary(trees):
        return True
    parts = [_literals(t) for t in trees]
    if any(p is None for p in parts) or len({p[0] for p in parts}) != 1:
        return False
    name = parts[0][0]
    covered = frozenset().union(*(p[1] for p in parts))
    possible = _upstream_choices(graph, gateway, name, built_in)
    return None not in possible and bool(possible) and possible <= covered


def gateway_problems(graph: Graph, built_in: ChoicesOf) -> list[Problem]:
    """Exclusive/inclusive gateways without a default whose conditions may all be false."""
    problems = []
    for ident, element in graph.nodes.items():
        if local(element) not in ("exclusiveGateway", "inclusiveGateway") or element.get("default"):
            continue
        flows = graph.outgoing.get(ident, [])
        conditions = [_condition(flow) for flow in flows]
        if not flows or any(c is None for c in conditions):
            continue
        if _complete(graph, ident, conditions, built_in):
            continue
        problems.append(Problem(
            WARNING, "gateway_default", ident, element.get("name"),
            f"gateway {_where(ident, element)} has no default flow and the conditions of its "
            f"flows ({'; '.join(conditions)}) may all be false, leaving a case stuck there: "
            "mark one outgoing flow as the default flow"))
    return problems
