"""The shape rules of a diagram (process_design.graph), on lxml alone: reachability, dead ends,
gateways whose conditions may all be false."""
from __future__ import annotations

from caseapp.services.process_design import graph
from tests.diagram_edits import B, BUNDLED, add_flow, by_id, remove, root_of, set_condition, text

NO_CHOICES = lambda key: {}  # noqa: E731 - no built-in step's choices known
BUILT_IN = {"dispatch": {"action": frozenset({"dispatch", "reject"})},
            "handle": {"action": frozenset({"resolve", "return"})}}


def shape(xml: str):
    return graph.build(graph.parse(xml))


def rules(xml: str, choices=lambda key: BUILT_IN.get(key, {})):
    g = shape(xml)
    return graph.reach_problems(g) + graph.gateway_problems(g, choices)


def test_the_bundled_diagram_is_all_reachable_without_dead_ends_and_complete():
    g = shape(BUNDLED)
    assert graph.reachable(g) == set(g.nodes)  # boundary events count with their host
    assert rules(BUNDLED) == []


def test_choices_come_from_the_user_task_before_the_gateway():
    # without knowing the built-in steps' choices, both decisions may leave a case stuck
    assert {p.element_id for p in rules(BUNDLED, NO_CHOICES)} == {"dispatch_decision",
                                                                  "handle_decision"}
    # the same field name means the choice of the nearest task: handle's, not dispatch's
    root = root_of()
    set_condition(root, "flow_resolve", "action == 'dispatch'")
    assert [p.element_id for p in rules(text(root))] == ["handle_decision"]


def test_unreachable_and_dead_ends():
    root = root_of()
    remove(root, "flow_to_rejected")
    problems = {(p.rule, p.element_id, p.severity) for p in rules(text(root))}
    assert problems == {("dead_end", "compose_rejection", "error"),
                        ("unreachable", "rejected", "warning")}


def test_an_interrupting_boundary_event_going_nowhere_is_a_dead_end():
    root = root_of()
    remove(root, "flow_publish_overdue")
    remove(root, "publish_overdue")
    assert rules(text(root)) == []  # non-interrupting: a deadline marker, its task goes on
    by_id(root, "publish_deadline").set("cancelActivity", "true")
    assert [(p.rule, p.element_id) for p in rules(text(root))] == [("dead_end", "publish_deadline")]


def test_subprocess_content_and_link_events_are_reached():
    root = root_of()
    process = root.find(B("process"))
    sub = process.makeelement(B("subProcess"), id="sub")
    process.append(sub)
    for tag, ident in (("startEvent", "sub_start"), ("endEvent", "sub_end")):
        sub.append(sub.makeelement(B(tag), id=ident))
    sub.append(sub.makeelement(B("sequenceFlow"), id="sub_flow", sourceRef="sub_start",
                               targetRef="sub_end"))
    by_id(root, "flow_published").set("targetRef", "sub")
    add_flow(root, "flow_sub_done", "sub", "closed")
    throw = process.makeelement(B("intermediateThrowEvent"), id="jump")
    throw.append(throw.makeelement(B("linkEventDefinition"), id="l1", name="to_close"))
    catch = process.makeelement(B("intermediateCatchEvent"), id="landing")
    catch.append(catch.makeelement(B("linkEventDefinition"), id="l2", name="to_close"))
    process.extend([throw, catch])
    by_id(root, "flow_to_rejected").set("targetRef", "jump")
    add_flow(root, "flow_landed", "landing", "rejected")
    assert rules(text(root)) == []
    catch.find(B("linkEventDefinition")).set("name", "elsewhere")
    assert {(p.rule, p.element_id) for p in rules(text(root))} == {("unreachable", "landing"),
                                                                  ("unreachable", "rejected")}
