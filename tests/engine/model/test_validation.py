"""Structural rules: each problem is one cause naming the element, and every cause is reported."""

from __future__ import annotations

import pytest

from engine.errors import EngineError, ErrorCause, ErrorKind
from engine.model import ProcessModel, parse_definitions, validate_process

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"


def bpmn(body: str, *, roots: str = "") -> str:
    """A document with one executable process ``p``."""
    process = f'<process id="p" isExecutable="true">{body}</process>'
    return f'<definitions xmlns="{BPMN}" id="d">{process}{roots}</definitions>'


def causes_of(xml: str) -> list[ErrorCause]:
    with pytest.raises(EngineError) as info:
        parse_definitions(xml)
    assert info.value.kind is ErrorKind.PROCESS_MODEL
    assert info.value.title == "Invalid BPMN model"
    return info.value.causes


def only_cause(xml: str) -> ErrorCause:
    causes = causes_of(xml)
    assert len(causes) == 1, causes
    return causes[0]


def valid(xml: str) -> ProcessModel:
    process = parse_definitions(xml).process("p")
    assert process is not None
    assert validate_process(process) == []
    return process


# --- ids ------------------------------------------------------------------------------------


def test_duplicate_ids_are_refused_naming_both_lines() -> None:
    xml = bpmn('\n<task id="a"/>\n<task id="a"/>\n')
    cause = only_cause(xml)
    assert (cause.pointer, cause.type, cause.value) == ("#/p/a", "id", "a")
    assert cause.detail == (
        "id a is used by more than one element: task (line 2) and task (line 3); ids must be unique in a document"
    )


def test_duplicate_ids_across_processes_and_root_elements_are_refused() -> None:
    xml = (
        f'<definitions xmlns="{BPMN}"><process id="a" isExecutable="true"><task id="x"/></process>'
        '<process id="b" isExecutable="false"><task id="x"/></process><message id="b"/></definitions>'
    )
    assert [(cause.pointer, cause.type) for cause in causes_of(xml)] == [("#/b/x", "id"), ("#/b", "id")]


def test_duplicate_id_between_element_and_flow_keeps_the_first() -> None:
    xml = bpmn('<task id="a"/><sequenceFlow id="a" sourceRef="a" targetRef="a"/>')
    assert [cause.type for cause in causes_of(xml)] == ["id"]


def test_element_without_id_is_refused() -> None:
    cause = only_cause(bpmn("<task/>"))
    assert (cause.pointer, cause.type) == ("#/p/", "id")
    assert cause.detail == "element of type task has no id (line 1)"


def test_process_without_id_is_refused() -> None:
    with pytest.raises(EngineError) as info:
        parse_definitions(f'<definitions xmlns="{BPMN}"><process isExecutable="true"/></definitions>')
    assert info.value.causes[0].detail == "a <process> has no id (line 1)"


# --- sequence flows -------------------------------------------------------------------------


def test_flow_without_source_ref_is_refused() -> None:
    cause = only_cause(bpmn('<task id="t"/><sequenceFlow id="f" targetRef="t"/>'))
    assert (cause.pointer, cause.type, cause.detail) == (
        "#/p/f",
        "sequence_flow",
        "sequence flow f has no sourceRef (line 1)",
    )


def test_flow_with_unknown_target_ref_is_refused() -> None:
    cause = only_cause(bpmn('<task id="t"/><sequenceFlow id="f" sourceRef="t" targetRef="ghost"/>'))
    assert (cause.pointer, cause.type) == ("#/p/f", "reference")
    assert "has targetRef ghost, which names no element of process p" in cause.detail


def test_dangling_flow_is_refused_even_when_an_outgoing_child_names_it_from_a_known_source() -> None:
    xml = bpmn('<task id="t"><outgoing>f</outgoing></task><sequenceFlow id="f" sourceRef="t" targetRef="x"/>')
    assert only_cause(xml).pointer == "#/p/f"


def test_flow_crossing_a_sub_process_boundary_is_refused() -> None:
    xml = bpmn(
        '<startEvent id="s"/><sequenceFlow id="f" sourceRef="s" targetRef="inner"/>'
        '<subProcess id="sub"><startEvent id="ss"/><task id="inner"/></subProcess>'
    )
    cause = only_cause(xml)
    assert cause.pointer == "#/p/f"
    assert "connects s in process p with inner in sub-process sub" in cause.detail
    assert "cannot cross a sub-process boundary" in cause.detail


def test_flow_to_the_process_itself_is_refused() -> None:
    cause = only_cause(bpmn('<task id="t"/><sequenceFlow id="f" sourceRef="t" targetRef="p"/>'))
    assert "has targetRef p, which is the process itself" in cause.detail


# --- start and end events -------------------------------------------------------------------


def test_process_without_start_event_is_valid() -> None:
    valid(bpmn('<task id="t"/>'))


def test_process_with_two_none_start_events_is_refused() -> None:
    cause = only_cause(bpmn('<startEvent id="a"/><startEvent id="b"/>'))
    assert (cause.pointer, cause.type) == ("#/p", "process")
    assert "process p has multiple none start events (a, b)" in cause.detail


def test_process_with_several_message_start_events_and_one_none_start_is_valid() -> None:
    valid(
        bpmn(
            '<startEvent id="a"/><startEvent id="m1"><messageEventDefinition/></startEvent>'
            '<startEvent id="m2"><timerEventDefinition/></startEvent>'
        )
    )


def test_sub_process_without_start_event_starts_implicitly() -> None:
    process = valid(bpmn('<subProcess id="sub"><task id="t"/><task id="u"/></subProcess>'))
    assert [e.id for e in process.implicit_starts("sub")] == ["t", "u"]


def test_sub_process_with_nothing_to_start_at_is_refused() -> None:
    cause = only_cause(
        bpmn('<subProcess id="sub"><task id="t"/><sequenceFlow id="f" sourceRef="t" targetRef="t"/></subProcess>')
    )
    assert (cause.pointer, cause.detail) == (
        "#/p/sub",
        "element sub of type SUB_PROCESS has no start event and no element without incoming sequence flows "
        "to start at (line 1)",
    )


def test_sub_process_with_only_a_message_start_event_is_refused() -> None:
    causes = causes_of(
        bpmn('<subProcess id="sub"><startEvent id="m"><messageEventDefinition/></startEvent></subProcess>')
    )
    assert "has no none start event; a sub-process needs exactly one" in causes[0].detail


def test_sub_process_with_two_none_start_events_is_refused() -> None:
    cause = only_cause(bpmn('<subProcess id="sub"><startEvent id="a"/><startEvent id="b"/></subProcess>'))
    assert "has multiple none start events (a, b)" in cause.detail


def test_sub_process_started_by_a_message_is_refused_naming_the_start_event() -> None:
    xml = bpmn(
        '<subProcess id="sub"><startEvent id="s"/>'
        '<startEvent id="m"><messageEventDefinition/></startEvent></subProcess>'
    )
    cause = only_cause(xml)
    assert cause.pointer == "#/p/m"
    assert cause.detail.startswith(
        "element m of type MESSAGE_START_EVENT in sub-process sub cannot start sub-process sub"
    )


def test_event_sub_process_is_refused_as_not_supported() -> None:
    xml = bpmn(
        '<subProcess id="events" triggeredByEvent="true">'
        '<startEvent id="es"><errorEventDefinition/></startEvent></subProcess>'
    )
    cause = only_cause(xml)
    assert (cause.pointer, cause.type) == ("#/p/events", "not_supported")
    assert "event sub-processes" in cause.detail


def test_start_event_with_incoming_flow_is_refused() -> None:
    xml = bpmn('<task id="t"/><startEvent id="s"/><sequenceFlow id="f" sourceRef="t" targetRef="s"/>')
    cause = only_cause(xml)
    assert cause.pointer == "#/p/s"
    assert "has incoming sequence flows (f); a start event cannot have incoming sequence flows" in cause.detail


def test_end_event_with_outgoing_flow_is_refused() -> None:
    xml = bpmn('<endEvent id="e"/><task id="t"/><sequenceFlow id="f" sourceRef="e" targetRef="t"/>')
    cause = only_cause(xml)
    assert cause.pointer == "#/p/e"
    assert "an end event cannot have outgoing sequence flows" in cause.detail


# --- boundary events ------------------------------------------------------------------------


def boundary(attributes: str, definition: str = "<timerEventDefinition/>") -> str:
    return f'<boundaryEvent id="b" {attributes}>{definition}</boundaryEvent>'


def test_boundary_event_without_attached_to_ref_is_refused() -> None:
    cause = only_cause(bpmn(boundary("")))
    assert (cause.pointer, cause.detail) == (
        "#/p/b",
        "element b of type TIMER_BOUNDARY_EVENT has no attachedToRef; a boundary event must be attached to "
        "an activity (line 1)",
    )


def test_boundary_event_attached_to_nothing_is_refused() -> None:
    cause = only_cause(bpmn(boundary('attachedToRef="ghost"')))
    assert cause.type == "reference"
    assert "has attachedToRef ghost, which names no element of process p" in cause.detail


def test_boundary_event_attached_to_a_gateway_is_refused() -> None:
    cause = only_cause(bpmn('<parallelGateway id="g"/>' + boundary('attachedToRef="g"')))
    assert "is attached to g of type PARALLEL_GATEWAY" in cause.detail


def test_boundary_event_in_another_scope_than_its_activity_is_refused() -> None:
    xml = bpmn(
        '<subProcess id="sub"><startEvent id="s"/><task id="t"/></subProcess>'
        '<boundaryEvent id="b" attachedToRef="t"><messageEventDefinition/></boundaryEvent>'
    )
    assert "is attached to t, which is in sub-process sub" in only_cause(xml).detail


def test_non_interrupting_error_boundary_event_is_refused() -> None:
    xml = bpmn('<task id="t"/>' + boundary('attachedToRef="t" cancelActivity="false"', "<errorEventDefinition/>"))
    cause = only_cause(xml)
    assert cause.pointer == "#/p/b"
    assert 'cancelActivity="false"; an error boundary event always interrupts' in cause.detail


@pytest.mark.parametrize(
    "definition",
    [
        "<escalationEventDefinition/>",
        "<messageEventDefinition/>",
        "<signalEventDefinition/>",
        "<timerEventDefinition/>",
    ],
)
def test_non_interrupting_boundary_events_of_other_kinds_are_valid(definition: str) -> None:
    process = valid(bpmn('<callActivity id="c"/>' + boundary('attachedToRef="c" cancelActivity="false"', definition)))
    assert process.elements["b"].cancel_activity is False


def test_boundary_event_with_incoming_flow_is_refused() -> None:
    xml = bpmn('<task id="t"/><task id="u"/><sequenceFlow id="f" sourceRef="u" targetRef="b"/>')
    xml = xml.replace("</process>", boundary('attachedToRef="t"') + "</process>")
    assert "a boundary event is triggered on its activity" in only_cause(xml).detail


# --- gateways -------------------------------------------------------------------------------


def test_event_based_gateway_with_one_outgoing_flow_is_refused() -> None:
    xml = bpmn(
        '<eventBasedGateway id="g"/><sequenceFlow id="f" sourceRef="g" targetRef="c"/>'
        '<intermediateCatchEvent id="c"><messageEventDefinition/></intermediateCatchEvent>'
    )
    cause = only_cause(xml)
    assert (cause.pointer, cause.detail) == (
        "#/p/g",
        "element g of type EVENT_BASED_GATEWAY must have at least 2 outgoing sequence flows, but has 1 (line 1)",
    )


def test_event_based_gateway_followed_by_a_task_is_refused_naming_the_task() -> None:
    xml = bpmn(
        '<eventBasedGateway id="g"/><sequenceFlow id="f1" sourceRef="g" targetRef="c"/>'
        '<sequenceFlow id="f2" sourceRef="g" targetRef="t"/>'
        '<intermediateCatchEvent id="c"><timerEventDefinition/></intermediateCatchEvent><task id="t"/>'
    )
    cause = only_cause(xml)
    assert cause.pointer == "#/p/t"
    assert "cannot follow event-based gateway g" in cause.detail


def test_default_flow_that_is_not_outgoing_is_refused() -> None:
    xml = bpmn(
        '<task id="t"/><exclusiveGateway id="g" default="f1"/>'
        '<sequenceFlow id="f1" sourceRef="t" targetRef="g"/>'
        '<sequenceFlow id="f2" sourceRef="g" targetRef="t"/>'
    )
    cause = only_cause(xml)
    assert cause.pointer == "#/p/g"
    assert "has default flow f1, which is not one of its outgoing sequence flows" in cause.detail


def test_default_flow_naming_no_flow_is_refused() -> None:
    assert "default flow nope" in only_cause(bpmn('<inclusiveGateway id="g" default="nope"/>')).detail


def test_default_flow_with_a_condition_is_read_without_it_and_warned() -> None:
    process = valid(
        bpmn(
            '<inclusiveGateway id="g" default="f"/><task id="t"/>'
            '<sequenceFlow id="f" sourceRef="g" targetRef="t"><conditionExpression>=a</conditionExpression>'
            "</sequenceFlow>"
        )
    )
    assert process.flows["f"].condition is None
    [warning] = process.warnings
    assert (warning.pointer, warning.type) == ("#/p/f", "leniency")
    assert "is the default flow of g and has a condition; the condition is ignored" in warning.detail


def test_condition_on_a_flow_from_a_task_is_a_conditional_flow() -> None:
    process = valid(
        bpmn(
            '<task id="a" default="d"/><task id="b"/><task id="c"/><sequenceFlow id="f" sourceRef="a" targetRef="b">'
            '<conditionExpression>${x}</conditionExpression></sequenceFlow><sequenceFlow id="d" sourceRef="a" '
            'targetRef="c"/>'
        )
    )
    assert process.elements["a"].default_flow == "d"


def test_condition_on_a_flow_from_an_event_is_refused() -> None:
    xml = bpmn(
        '<startEvent id="a"/><task id="b"/><sequenceFlow id="f" sourceRef="a" targetRef="b">'
        "<conditionExpression>${x}</conditionExpression></sequenceFlow>"
    )
    cause = only_cause(xml)
    assert cause.pointer == "#/p/f"
    assert "its source a is of type NONE_START_EVENT" in cause.detail


def test_inclusive_gateway_join_is_valid() -> None:
    valid(
        bpmn(
            '<startEvent id="s"/><inclusiveGateway id="fork" default="f2"/><inclusiveGateway id="join"/>'
            '<sequenceFlow id="f1" sourceRef="s" targetRef="fork"/>'
            '<sequenceFlow id="f2" sourceRef="fork" targetRef="join"/>'
            '<sequenceFlow id="f3" sourceRef="fork" targetRef="join">'
            "<conditionExpression>=a</conditionExpression></sequenceFlow>"
            '<sequenceFlow id="f4" sourceRef="join" targetRef="e"/><endEvent id="e"/>'
        )
    )


# --- link events ----------------------------------------------------------------------------


def link(tag: str, element_id: str, name: str | None) -> str:
    attribute = f' name="{name}"' if name is not None else ""
    return f'<{tag} id="{element_id}"><linkEventDefinition{attribute}/></{tag}>'


def test_link_throw_without_matching_catch_is_refused() -> None:
    xml = bpmn(link("intermediateThrowEvent", "throw", "a") + link("intermediateCatchEvent", "catch", "b"))
    cause = only_cause(xml)
    assert cause.pointer == "#/p/throw"
    assert "throws link a, but no link catch event in process p has that name" in cause.detail


def test_link_catch_in_another_scope_does_not_count() -> None:
    xml = bpmn(
        link("intermediateThrowEvent", "throw", "a")
        + '<subProcess id="sub"><startEvent id="s"/>'
        + link("intermediateCatchEvent", "catch", "a")
        + "</subProcess>"
    )
    assert only_cause(xml).pointer == "#/p/throw"


@pytest.mark.parametrize("name", [None, "", "  "], ids=["absent", "empty", "blank"])
def test_link_without_name_is_refused(name: str | None) -> None:
    cause = only_cause(bpmn(link("intermediateCatchEvent", "catch", name)))
    assert "has no link name" in cause.detail


def test_link_catch_names_must_be_unique_in_a_scope() -> None:
    xml = bpmn(
        link("intermediateCatchEvent", "c1", "a")
        + link("intermediateCatchEvent", "c2", "a")
        + link("intermediateThrowEvent", "t", "a")
    )
    cause = only_cause(xml)
    assert cause.pointer == "#/p/c2"
    assert "which link catch event c1 of the same scope already has" in cause.detail


def test_link_catch_with_incoming_and_link_throw_with_outgoing_are_refused() -> None:
    xml = bpmn(
        link("intermediateThrowEvent", "t", "a")
        + link("intermediateCatchEvent", "c", "a")
        + '<task id="x"/><sequenceFlow id="f1" sourceRef="x" targetRef="c"/>'
        '<sequenceFlow id="f2" sourceRef="t" targetRef="x"/>'
    )
    assert [cause.pointer for cause in causes_of(xml)] == ["#/p/t", "#/p/c"]


def test_matching_links_are_valid() -> None:
    valid(bpmn(link("intermediateThrowEvent", "t", "a") + link("intermediateCatchEvent", "c", "a")))


# --- reporting ------------------------------------------------------------------------------


def test_causes_name_the_sub_process_path_and_line() -> None:
    xml = bpmn(
        '\n<subProcess id="outer">\n<startEvent id="s1"/>\n<subProcess id="inner">\n<startEvent id="s2"/>'
        '\n<eventBasedGateway id="g"/>\n</subProcess>\n</subProcess>'
    )
    cause = only_cause(xml)
    assert cause.detail == (
        "element g of type EVENT_BASED_GATEWAY in sub-process outer > inner must have at least 2 outgoing "
        "sequence flows, but has 0 (line 6)"
    )
    assert cause.pointer == "#/p/g"


def test_error_detail_summarises_the_causes() -> None:
    with pytest.raises(EngineError) as info:
        parse_definitions(bpmn('<startEvent id="a"/><startEvent id="b"/><subProcess id="sub"/>'))
    assert info.value.detail.startswith("The BPMN model has 2 problems, the first: process p has multiple")


def test_validate_process_reports_a_non_executable_process() -> None:
    xml = bpmn('<startEvent id="a"/><startEvent id="b"/>').replace('isExecutable="true"', 'isExecutable="false"')
    process = parse_definitions(xml).process("p")
    assert process is not None
    assert [cause.detail.split(";")[0] for cause in validate_process(process)] == [
        "process p is not executable",
        "process p has multiple none start events (a, b)",
    ]
