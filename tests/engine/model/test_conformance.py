"""go-bpmn's test models (tests/conformance/go-bpmn): every valid one parses, every invalid one is refused."""

from __future__ import annotations

import pytest

from engine.errors import EngineError, ErrorCause, ErrorKind
from engine.model import ElementType, EventKind, parse_definitions, validate_process
from tests.conftest import CONFORMANCE

# Not well-formed XML: line 17 uses the prefix bpmn: without declaring it.
NOT_WELL_FORMED = {"event/signal-throw-definition.bpmn": 17}
# Under invalid/ only because go-bpmn cannot run it; Baton runs inclusive joins.
VALID_IN_INVALID = {"invalid/inclusive-gateway-join.bpmn"}
# invalid/ model → (pointer, words of the detail) of its one cause.
EXPECTED_CAUSES = {
    "invalid/event-based-gateway-one.bpmn": (
        "#/eventBasedGatewayOneTest/eventBasedGateway",
        "element eventBasedGateway of type EVENT_BASED_GATEWAY must have at least 2 outgoing sequence flows",
    ),
    "invalid/none-start-event-multiple.bpmn": (
        "#/noneStartEventMultipleTest",
        "process noneStartEventMultipleTest has multiple none start events (startEventA, startEventB)",
    ),
    "invalid/process-not-executable.bpmn": (
        "#/processNotExecutableTest",
        "process processNotExecutableTest is not executable",
    ),
    "invalid/unknown-boundary-event.bpmn": (
        "#/unknownBoundaryEventTest/unknownBoundaryEvent",
        "element unknownBoundaryEvent of type boundaryEvent has no event definition",
    ),
    "invalid/unknown-catch-event.bpmn": (
        "#/unknownCatchEventTest/unknownCatchEvent",
        "element unknownCatchEvent of type intermediateCatchEvent has no event definition",
    ),
    "invalid/unknown-element.bpmn": (
        "#/unknownElementTest/unknownElement",
        "element unknownElement of type unknownElement is not supported",
    ),
}


def model_names() -> list[str]:
    return sorted(path.relative_to(CONFORMANCE).as_posix() for path in CONFORMANCE.rglob("*.bpmn"))


VALID = [
    name
    for name in model_names()
    if (not name.startswith("invalid/") or name in VALID_IN_INVALID) and name not in NOT_WELL_FORMED
]
INVALID = [name for name in model_names() if name.startswith("invalid/") and name not in VALID_IN_INVALID]


def read(name: str) -> bytes:
    return (CONFORMANCE / name).read_bytes()


def causes_of(name: str) -> list[ErrorCause]:
    """The causes of a model: raised by parse_definitions, else returned by validate_process."""
    try:
        definitions = parse_definitions(read(name))
    except EngineError as error:
        assert error.kind is ErrorKind.PROCESS_MODEL
        return error.causes
    return [cause for process in definitions.processes for cause in validate_process(process)]


def test_conformance_models_are_in_the_repository() -> None:
    assert (CONFORMANCE / "LICENSE").is_file()
    assert len(VALID) > 60
    assert set(INVALID) == set(EXPECTED_CAUSES)


@pytest.mark.parametrize("name", VALID)
def test_valid_conformance_model_parses_and_validates_without_causes(name: str) -> None:
    definitions = parse_definitions(read(name))
    assert definitions.processes
    for process in definitions.processes:
        assert process.process.is_executable
        assert validate_process(process) == []


@pytest.mark.parametrize("name", INVALID)
def test_invalid_conformance_model_is_refused_with_one_cause_naming_the_element(name: str) -> None:
    pointer, words = EXPECTED_CAUSES[name]
    causes = causes_of(name)
    assert [cause.pointer for cause in causes] == [pointer]
    assert words in causes[0].detail
    assert "(line " in causes[0].detail


def test_signal_throw_definition_is_refused_as_not_well_formed_naming_line_17() -> None:
    with pytest.raises(EngineError) as info:
        parse_definitions(read("event/signal-throw-definition.bpmn"))
    error = info.value
    assert error.kind is ErrorKind.PROCESS_MODEL
    assert [cause.pointer for cause in error.causes] == ["#/line/17"]
    assert error.causes[0].type == "xml"
    assert "line 17, column" in error.detail
    assert "prefix bpmn" in error.detail


def test_inclusive_gateway_join_is_valid() -> None:
    process = parse_definitions(read("invalid/inclusive-gateway-join.bpmn")).processes[0]
    assert validate_process(process) == []
    assert process.elements["join"].type is ElementType.INCLUSIVE_GATEWAY
    assert process.elements["join"].incoming == ("f2", "f3")


def test_process_without_elements_is_valid() -> None:
    process = parse_definitions(read("empty.bpmn")).processes[0]
    assert process.id == "emptyTest"
    assert list(process.elements) == ["emptyTest"]
    assert validate_process(process) == []


def test_non_executable_process_is_returned_by_parse_and_refused_by_validation() -> None:
    definitions = parse_definitions(read("invalid/process-not-executable.bpmn"))
    process = definitions.process("processNotExecutableTest")
    assert process is not None
    assert process.process.is_executable is False
    assert [cause.type for cause in validate_process(process)] == ["process"]


def test_flow_with_unknown_target_leads_to_the_element_listing_it_as_incoming() -> None:
    # event-based-definition.bpmn: f2 has targetRef="messageCatchEvent", which does not exist;
    # signalCatchEvent lists f2 as <incoming>, and go-bpmn's test expects the flow to lead there.
    process = parse_definitions(read("gateway/event-based-definition.bpmn")).processes[0]
    assert process.flows["f2"].target_id == "signalCatchEvent"
    assert process.elements["eventBasedGateway"].outgoing == ("f2", "f4")
    assert process.elements["signalCatchEvent"].incoming == ("f2",)


def test_collaboration_participants_name_their_processes() -> None:
    definitions = parse_definitions(read("collaboration.bpmn"))
    assert definitions.collaboration_id == "collaboration"
    assert [process.id for process in definitions.processes] == ["collaborationATest", "collaborationCTest"]
    a, c = definitions.processes
    assert (a.collaboration_id, a.participant_id, a.participant_name) == (
        "collaboration",
        "a",
        "participant a",
    )
    assert (c.collaboration_id, c.participant_id, c.participant_name) == (
        "collaboration",
        "c",
        "participant c",
    )


def test_called_element_keeps_go_bpmn_version_suffix_as_written() -> None:
    process = parse_definitions(read("call-activity/called-element.bpmn")).processes[0]
    call = process.elements["callActivity"]
    assert call.called_element == "startEndTest:called-element-test"
    assert call.called_version is None


def test_call_activity_without_called_element_is_valid() -> None:
    process = parse_definitions(read("call-activity/error-boundary.bpmn")).processes[0]
    assert process.elements["callActivity"].called_element is None


def test_root_references_resolve_to_names_and_codes() -> None:
    message = parse_definitions(read("event/message-catch-definition.bpmn")).processes[0]
    assert message.elements["messageCatchEvent"].event.message_name == "catchMessageName"  # type: ignore[union-attr]
    signal = parse_definitions(read("event/signal-start-definition.bpmn")).processes[0]
    assert signal.elements["signalStartEvent"].event.signal_name == "testSignalName"  # type: ignore[union-attr]
    error = parse_definitions(read("event/error-boundary-event-definition.bpmn")).processes[0]
    assert error.elements["errorBoundaryEvent"].event.error_code == "testErrorCode"  # type: ignore[union-attr]
    escalation = parse_definitions(read("event/escalation-boundary-definition.bpmn")).processes[0]
    event = escalation.elements["escalationBoundaryEvent"].event
    assert event is not None
    assert event.escalation_code == "testEscalationCode"


def test_definitions_without_references_leave_names_to_process_creation() -> None:
    process = parse_definitions(read("event/timer-start.bpmn")).processes[0]
    start = process.elements["timerStartEvent"]
    assert start.type is ElementType.TIMER_START_EVENT
    assert start.event is not None
    assert (start.event.kind, start.event.id, start.event.timer) == (
        EventKind.TIMER,
        "timerStartEventDefinition",
        None,
    )


def test_link_events_keep_their_names_and_scopes() -> None:
    process = parse_definitions(read("event/link-scope.bpmn")).processes[0]
    assert process.elements["linkThrowEventB"].parent_id == "subProcess"
    assert process.elements["linkCatchEventB"].event.link_name == "b"  # type: ignore[union-attr]
    assert process.elements["linkCatchEventA"].type is ElementType.LINK_CATCH_EVENT


def test_non_interrupting_boundary_events_are_read() -> None:
    process = parse_definitions(read("event/timer-boundary-non-interrupting.bpmn")).processes[0]
    boundary = process.elements["timerBoundaryEvent"]
    assert boundary.attached_to == "serviceTask"
    assert boundary.cancel_activity is False
    assert process.boundary_events("serviceTask") == (boundary,)


def test_nested_sub_processes_form_scopes() -> None:
    process = parse_definitions(read("sub-process/nested.bpmn")).processes[0]
    assert [child.id for child in process.children("nestedSubProcess")] == [
        "nestedSubProcessStartEvent",
        "serviceTask",
        "nestedSubProcessEndEvent",
    ]
    assert process.none_start_event("subProcess").id == "subProcessStartEvent"  # type: ignore[union-attr]
    assert process.flows["f3"].source_id == "nestedSubProcessStartEvent"
