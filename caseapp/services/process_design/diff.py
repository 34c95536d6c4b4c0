"""diff_diagrams: what a draft or version changes against another, element by element (pure lxml).

Compared per BPMN id: the element's type and name (and label_en), its form (key, fields with type,
label, constraints, choice values, default), timers, conditions and default flows, scripts,
candidateGroups, lane, boundary host, and its incoming and outgoing flows. The drawing's layout
(positions, sizes) is not a change.
"""
from __future__ import annotations

from .graph import B, C, FLOW_NODES, local, parse

FIELDS_ORDER = ("type", "name", "label_en", "lane", "form_key", "form_fields", "candidate_groups",
                "timer", "condition", "default_flow", "script", "attached_to", "interrupting",
                "incoming", "outgoing", "source", "target")


class UnreadableDiagram(ValueError):
    """One side of the diff is not well-formed XML."""


def _text(element, path: str) -> str | None:
    found = element.find(path)
    return None if found is None else (found.text or "").strip()


def _form_fields(element) -> dict[str, dict]:
    fields = {}
    for f in element.iterfind(f"{B}extensionElements/{C}formData/{C}formField"):
        constraints = {c.get("name"): c.get("config") for c in f.iterfind(f"{C}validation/{C}constraint")}
        fields[f.get("id") or ""] = {
            "type": f.get("type"), "label": f.get("label"), "default": f.get("defaultValue"),
            "constraints": constraints,
            "values": [v.get("id") for v in f.iterfind(f"{C}value")],
            "properties": {p.get("id"): p.get("value") for p in f.iterfind(f"{C}properties/{C}property")}}
    return fields


def _timer(element) -> dict | None:
    definition = element.find(f"{B}timerEventDefinition")
    if definition is None:
        return None
    for kind in ("timeDate", "timeDuration", "timeCycle"):
        text = _text(definition, f"{B}{kind}")
        if text is not None:
            return {"kind": kind, "expression": text}
    return {"kind": None, "expression": None}


def _label_en(element) -> str | None:
    for prop in element.iterfind(f"{B}extensionElements/{C}properties/{C}property"):
        if prop.get("name") == "label_en":
            return prop.get("value")
    return None


def _event_type(element, kind: str) -> str:
    definitions = [local(d)[:-len("EventDefinition")] for d in element
                   if local(d).endswith("EventDefinition")]
    return f"{kind}:{'+'.join(sorted(definitions))}" if definitions else kind


def describe(root) -> dict[str, dict]:
    """BPMN id -> the facets compared, for every flow node and sequence flow of the processes."""
    lanes = {}
    for lane in root.iter(f"{B}lane"):
        for ref in lane.iterfind(f"{B}flowNodeRef"):
            lanes[(ref.text or "").strip()] = lane.get("name") or lane.get("id")
    described: dict[str, dict] = {}
    flows_in: dict[str, list] = {}
    flows_out: dict[str, list] = {}
    for process in root.iter(f"{B}process"):
        for element in process.iter(f"{B}*"):
            kind, ident = local(element), element.get("id")
            if not ident:
                continue
            if kind == "sequenceFlow":
                source, target = element.get("sourceRef"), element.get("targetRef")
                flows_out.setdefault(source, []).append(ident)
                flows_in.setdefault(target, []).append(ident)
                described[ident] = {"type": kind, "name": element.get("name"),
                                    "label_en": _label_en(element), "source": source,
                                    "target": target,
                                    "condition": _text(element, f"{B}conditionExpression")}
            elif kind in FLOW_NODES:
                facets = {"type": _event_type(element, kind) if kind.endswith("Event") else kind,
                          "name": element.get("name"), "label_en": _label_en(element),
                          "lane": lanes.get(ident)}
                if kind == "userTask":
                    facets["form_key"] = element.get(f"{C}formKey")
                    facets["form_fields"] = _form_fields(element)
                    facets["candidate_groups"] = element.get(f"{C}candidateGroups")
                if kind == "scriptTask":
                    facets["script"] = _text(element, f"{B}script")
                if kind.endswith("Gateway"):
                    facets["default_flow"] = element.get("default")
                if kind == "boundaryEvent":
                    facets["attached_to"] = element.get("attachedToRef")
                    facets["interrupting"] = element.get("cancelActivity") != "false"
                timer = _timer(element)
                if timer is not None:
                    facets["timer"] = timer
                described[ident] = facets
    for ident, facets in described.items():
        if facets["type"] != "sequenceFlow":
            facets["incoming"] = sorted(flows_in.get(ident, []))
            facets["outgoing"] = sorted(flows_out.get(ident, []))
    return described


def _summary(ident: str, facets: dict) -> dict:
    return {"id": ident, "type": facets["type"], "name": facets.get("name")}


def _field_changes(before: dict, after: dict) -> dict:
    return {"added": sorted(set(after) - set(before)),
            "removed": sorted(set(before) - set(after)),
            "changed": [{"id": key, "before": before[key], "after": after[key]}
                        for key in sorted(set(before) & set(after)) if before[key] != after[key]]}


def _changes(before: dict, after: dict) -> list[dict]:
    changes = []
    for facet in FIELDS_ORDER:
        old, new = before.get(facet), after.get(facet)
        if old == new:
            continue
        change = {"what": facet, "before": old, "after": new}
        if facet == "form_fields":
            change["fields"] = _field_changes(old or {}, new or {})
        changes.append(change)
    return changes


def diff_diagrams(base_xml: str | bytes, other_xml: str | bytes) -> dict:
    """{"added": [...], "removed": [...], "changed": [...]} from base to other: each entry
    {id, type, name}; a changed one also `changes`: [{what, before, after}] (form fields: with
    `fields`: {added, removed, changed: [{id, before, after}]})."""
    roots = [parse(base_xml), parse(other_xml)]
    if roots[0] is None or roots[1] is None:
        raise UnreadableDiagram("the diagram is not well-formed XML")
    base, other = describe(roots[0]), describe(roots[1])
    added = [_summary(i, other[i]) for i in other if i not in base]
    removed = [_summary(i, base[i]) for i in base if i not in other]
    changed = []
    for ident in other:
        if ident in base:
            changes = _changes(base[ident], other[ident])
            if changes:
                changed.append({**_summary(ident, other[ident]), "changes": changes})
    return {"added": added, "removed": removed, "changed": changed}
