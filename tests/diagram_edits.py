"""Minimal broken variants of the bundled diagram, edited with lxml (shared by the rule, API and
diff tests)."""
from __future__ import annotations

from pathlib import Path

from lxml import etree

BUNDLED = (Path(__file__).resolve().parents[1] / "bpmn" / "field_report.bpmn").read_text("utf-8")
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
NS = {"bpmn": BPMN, "camunda": CAMUNDA}


def B(tag: str) -> str:
    return f"{{{BPMN}}}{tag}"


def Cq(tag: str) -> str:
    return f"{{{CAMUNDA}}}{tag}"


def root_of(xml: str = BUNDLED):
    return etree.fromstring(xml.encode("utf-8"))


def text(root) -> str:
    return etree.tostring(root, encoding="unicode")


def by_id(root, ident: str):
    (found,) = root.xpath("//*[@id=$i]", i=ident)
    return found


def process(root):
    return root.find(B("process"))


def remove(root, ident: str) -> None:
    element = by_id(root, ident)
    element.getparent().remove(element)
    for ref in root.xpath("//bpmn:incoming|//bpmn:outgoing", namespaces=NS):
        if (ref.text or "").strip() == ident:
            ref.getparent().remove(ref)


def add_flow(root, ident: str, source: str, target: str, condition: str | None = None):
    flow = etree.SubElement(process(root), B("sequenceFlow"), id=ident, sourceRef=source,
                            targetRef=target)
    if condition is not None:
        expression = etree.SubElement(flow, B("conditionExpression"))
        expression.set("{http://www.w3.org/2001/XMLSchema-instance}type", "bpmn:tFormalExpression")
        expression.text = condition
    return flow


def insert_after(root, flow_id: str, element, lane: str = "Portal") -> None:
    """Put `element` (no flows yet) on the sequence flow `flow_id`: source -> element -> target."""
    flow = by_id(root, flow_id)
    target = flow.get("targetRef")
    ident = element.get("id")
    process(root).append(element)
    flow.set("targetRef", ident)
    add_flow(root, f"{flow_id}_after", ident, target)
    for ref in by_id(root, target).findall(B("incoming")):
        if ref.text == flow_id:
            ref.text = f"{flow_id}_after"
    lane_element = by_id(root, lane)
    etree.SubElement(lane_element, B("flowNodeRef")).text = ident


def user_task(ident: str, form_key: str, fields: str = "") -> etree._Element:
    xml = (f'<bpmn:userTask xmlns:bpmn="{BPMN}" xmlns:camunda="{CAMUNDA}" id="{ident}" '
           f'name="Xem lại" camunda:formKey="{form_key}">'
           + (f"<bpmn:extensionElements><camunda:formData>{fields}</camunda:formData>"
              "</bpmn:extensionElements>" if fields else "") + "</bpmn:userTask>")
    return etree.fromstring(xml)


def script_task(ident: str, script: str) -> etree._Element:
    element = etree.fromstring(f'<bpmn:scriptTask xmlns:bpmn="{BPMN}" id="{ident}" '
                               f'name="Phân loại" scriptFormat="python"><bpmn:script/></bpmn:scriptTask>')
    element[0].text = script
    return element


def set_timer(root, ident: str, expression: str, kind: str = "timeDate") -> None:
    definition = by_id(root, ident).find(B("timerEventDefinition"))
    for child in list(definition):
        definition.remove(child)
    etree.SubElement(definition, B(kind)).text = expression


def set_condition(root, flow_id: str, condition: str) -> None:
    """Give a sequence flow this condition (added when it has none)."""
    flow = by_id(root, flow_id)
    expression = flow.find(B("conditionExpression"))
    if expression is None:
        expression = etree.SubElement(flow, B("conditionExpression"))
        expression.set("{http://www.w3.org/2001/XMLSchema-instance}type", "bpmn:tFormalExpression")
    expression.text = condition
