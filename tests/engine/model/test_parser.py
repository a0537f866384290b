"""What the parser reads: namespaces, dialects (Zeebe, Camunda 7, standard BPMN), element types."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest

from engine.errors import EngineError, ErrorCause
from engine.model import (
    Assignment,
    ElementType,
    EventKind,
    Mapping_,
    ProcessModel,
    Timer,
    parse_definitions,
    validate_process,
)
from engine.model.elements import Parameter
from engine.model.extensions import split_list

MODELS = Path(__file__).parent / "models"
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
ZEEBE = "http://camunda.org/schema/zeebe/1.0"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"


def bpmn(body: str, *, roots: str = "", executable: str = "true") -> str:
    """A document with one process ``p`` in the default BPMN namespace."""
    return (
        f'<definitions xmlns="{BPMN}" xmlns:zeebe="{ZEEBE}" xmlns:camunda="{CAMUNDA}" id="d">'
        f'<process id="p" isExecutable="{executable}">{body}</process>{roots}</definitions>'
    )


def process_of(xml: str) -> ProcessModel:
    process = parse_definitions(xml).process("p")
    assert process is not None
    return process


def causes_of(xml: str) -> list[ErrorCause]:
    with pytest.raises(EngineError) as info:
        parse_definitions(xml)
    return info.value.causes


# --- namespaces ---------------------------------------------------------------------------

START_END = """
  <{p}startEvent id="start"><{p}outgoing>f1</{p}outgoing></{p}startEvent>
  <{p}sequenceFlow id="f1" sourceRef="start" targetRef="task" />
  <{p}serviceTask id="task" name="Work" />
  <{p}sequenceFlow id="f2" sourceRef="task" targetRef="end" />
  <{p}endEvent id="end" />
"""


def shape(process: ProcessModel) -> tuple[object, ...]:
    return (
        tuple((e.id, e.type, e.name, e.parent_id, e.incoming, e.outgoing) for e in process.elements.values()),
        tuple((f.id, f.source_id, f.target_id) for f in process.flows.values()),
    )


@pytest.mark.parametrize(
    ("opening", "prefix"),
    [
        (f'<bpmn:definitions xmlns:bpmn="{BPMN}" id="d">', "bpmn:"),
        (f'<definitions xmlns="{BPMN}" id="d">', ""),
        (f'<semantic:definitions xmlns:semantic="{BPMN}" id="d">', "semantic:"),
        ('<definitions id="d">', ""),
    ],
    ids=["bpmn-prefix", "default-namespace", "other-prefix", "no-namespace"],
)
def test_bpmn_namespace_under_any_prefix_and_bare_xml_read_the_same(opening: str, prefix: str) -> None:
    closing = f"</{prefix}definitions>"
    body = START_END.format(p=prefix)
    xml = f'{opening}<{prefix}process id="p" isExecutable="true">{body}</{prefix}process>{closing}'
    process = process_of(xml)
    assert shape(process) == (
        (
            ("p", ElementType.PROCESS, None, None, (), ()),
            ("start", ElementType.NONE_START_EVENT, None, "p", (), ("f1",)),
            ("task", ElementType.SERVICE_TASK, "Work", "p", ("f1",), ("f2",)),
            ("end", ElementType.NONE_END_EVENT, None, "p", ("f2",), ()),
        ),
        (("f1", "start", "task"), ("f2", "task", "end")),
    )
    assert validate_process(process) == []


def test_foreign_elements_and_attributes_are_ignored() -> None:
    xml = bpmn(
        '<foo:lint xmlns:foo="urn:foo" foo:level="high"><task id="notRead"/></foo:lint>'
        '<task id="t" foo:color="red" xmlns:foo="urn:foo"><foo:hint/></task>'
    )
    process = process_of(xml)
    assert list(process.elements) == ["p", "t"]


def test_elements_in_another_namespace_with_bpmn_names_are_not_flow_elements() -> None:
    xml = bpmn('<x:task xmlns:x="urn:other" id="t"/><x:unknownThing xmlns:x="urn:other" id="u"/>')
    assert list(process_of(xml).elements) == ["p"]


# --- Camunda 8 (Zeebe) --------------------------------------------------------------------


@pytest.fixture(scope="module")
def order() -> ProcessModel:
    definitions = parse_definitions((MODELS / "camunda8-order.bpmn").read_bytes())
    assert definitions.id == "Definitions_order"
    process = definitions.process("order-fulfilment")
    assert process is not None
    return process


def test_camunda8_model_is_valid_and_its_diagram_is_ignored(order: ProcessModel) -> None:
    assert validate_process(order) == []
    assert order.name == "Order fulfilment"
    assert not any(element_id.endswith("_di") for element_id in order.elements)
    assert "TextAnnotation_1" not in order.elements
    assert len(order.flows) == 11


def test_zeebe_task_definition_headers_and_io_mapping_are_read(order: ProcessModel) -> None:
    check = order.elements["Activity_check"]
    assert (check.type, check.name, check.job_type, check.job_retries) == (
        ElementType.SERVICE_TASK,
        "Check stock",
        "check-stock",
        5,
    )
    assert check.headers == (("warehouse", "north"), ("timeoutSeconds", "30"))
    assert check.inputs == (Mapping_(source="=order.items", target="items"),)
    assert check.outputs == (Mapping_(source="=available", target="inStock"),)


def test_zeebe_retries_given_as_expression_are_left_unset(order: ProcessModel) -> None:
    remind = order.elements["Activity_remind"]
    assert (remind.type, remind.job_type, remind.job_retries) == (
        ElementType.SEND_TASK,
        "send-reminder",
        None,
    )


def test_feel_condition_and_default_flow_are_read(order: ProcessModel) -> None:
    gateway = order.elements["Gateway_amount"]
    assert gateway.default_flow == "Flow_small"
    assert gateway.outgoing == ("Flow_big", "Flow_small")
    assert order.flows["Flow_big"].condition == "=amount > 100"
    assert order.flows["Flow_big"].name == "more than 100"
    assert order.flows["Flow_small"].condition is None


def test_zeebe_user_task_assignment_is_read(order: ProcessModel) -> None:
    approve = order.elements["Activity_approve"]
    assert approve.type is ElementType.USER_TASK
    assert approve.assignment == Assignment(
        assignee="=initiator",
        candidate_users=("anna", "ben"),
        candidate_groups=("sales", "managers"),
        due_date='=now() + duration("P2D")',
        follow_up_date="2025-01-01T10:00:00Z",
        priority="75",
    )


def test_timer_boundary_event_with_duration_is_read(order: ProcessModel) -> None:
    reminder = order.elements["Event_reminder"]
    assert reminder.type is ElementType.TIMER_BOUNDARY_EVENT
    assert (reminder.attached_to, reminder.cancel_activity) == ("Activity_approve", False)
    assert reminder.event is not None
    assert reminder.event.timer == Timer(time_duration="PT2H")
    assert order.boundary_events("Activity_approve") == (reminder,)


def test_message_subscription_gives_name_and_correlation_key(order: ProcessModel) -> None:
    payment = order.elements["Event_payment"]
    assert payment.type is ElementType.MESSAGE_CATCH_EVENT
    assert payment.event is not None
    assert (payment.event.kind, payment.event.message_name, payment.event.correlation_key) == (
        EventKind.MESSAGE,
        "payment-received",
        "=orderId",
    )
    assert payment.outputs == (Mapping_(source="=payment.id", target="paymentId"),)


def test_zeebe_called_element_is_read(order: ProcessModel) -> None:
    ship = order.elements["Activity_ship"]
    assert (ship.called_element, ship.called_version, ship.propagate_all_child_variables) == (
        "shipping",
        None,
        False,
    )


def test_error_boundary_and_terminate_end_are_read(order: ProcessModel) -> None:
    boundary = order.elements["Event_out_of_stock"]
    assert boundary.type is ElementType.ERROR_BOUNDARY_EVENT
    assert boundary.event is not None
    assert boundary.event.error_code == "OUT_OF_STOCK"
    assert order.elements["EndEvent_cancelled"].type is ElementType.TERMINATE_END_EVENT


def test_elements_carry_their_source_line(order: ProcessModel) -> None:
    assert order.elements["StartEvent_received"].line == 7
    assert order.flows["Flow_1"].line == 10


# --- Camunda 7 ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def invoice() -> ProcessModel:
    definitions = parse_definitions((MODELS / "camunda7-invoice.bpmn").read_bytes())
    assert definitions.collaboration_id == "Collaboration_invoice"
    assert [process.id for process in definitions.processes] == ["invoice"]
    return definitions.processes[0]


def test_camunda7_model_is_valid_and_lanes_data_and_annotations_are_ignored(invoice: ProcessModel) -> None:
    assert validate_process(invoice) == []
    ignored = {"Lane_clerk", "DataObject_invoice", "DataObjectReference_invoice", "TextAnnotation_review"}
    assert not ignored & set(invoice.elements)


def test_participant_names_the_process(invoice: ProcessModel) -> None:
    assert (invoice.collaboration_id, invoice.participant_id, invoice.participant_name) == (
        "Collaboration_invoice",
        "Participant_accounting",
        "Accounting",
    )


def test_camunda_external_task_topic_properties_and_input_output_are_read(invoice: ProcessModel) -> None:
    archive = invoice.elements["Task_archive"]
    assert (archive.job_type, archive.job_retries) == ("archive-invoice", None)
    assert archive.headers == (("retention", "10y"),)
    assert archive.inputs == (
        Mapping_(source="${invoice.id}", target="invoiceId", value=Parameter("text", "${invoice.id}")),
    )
    assert archive.outputs == (Mapping_(source="${true}", target="archived", value=Parameter("text", "${true}")),)


def test_camunda_user_task_attributes_are_read(invoice: ProcessModel) -> None:
    assert invoice.elements["Task_approve"].assignment == Assignment(
        assignee="${approver}", candidate_users=("demo", "john"), candidate_groups=("management",)
    )
    assert invoice.elements["Task_assign"].assignment == Assignment(
        candidate_groups=("accounting",),
        due_date="${dueDate}",
        follow_up_date="${followUpDate}",
        priority="60",
    )


def test_standard_human_performer_and_potential_owner_are_read(invoice: ProcessModel) -> None:
    assert invoice.elements["Task_clarify"].assignment == Assignment(
        assignee="kermit",
        candidate_users=("gonzo",),
        candidate_groups=("accounting", "management"),  # a plain id is a group, as in Camunda 7
    )


def test_juel_condition_is_kept_as_written(invoice: ProcessModel) -> None:
    assert invoice.flows["Flow_review"].condition == "${amount > 100}"
    assert invoice.elements["Gateway_amount"].default_flow == "Flow_auto"


def test_camunda_called_element_version_binding_is_read(invoice: ProcessModel) -> None:
    review = invoice.elements["CallActivity_review"]
    assert (review.called_element, review.called_version, review.propagate_all_child_variables) == (
        "invoice-review",
        "3",
        True,
    )


def test_camunda7_events_are_read(invoice: ProcessModel) -> None:
    start = invoice.elements["StartEvent_invoice"]
    assert start.type is ElementType.MESSAGE_START_EVENT
    assert start.event is not None
    assert (start.event.message_name, start.event.correlation_key) == ("invoice-received", None)
    nudge = invoice.elements["Event_nudge"].event
    assert nudge is not None
    assert nudge.timer == Timer(time_cycle="R3/PT10M")
    year_end = invoice.elements["Event_year_end"].event
    assert year_end is not None
    assert year_end.timer == Timer(time_date="2025-12-31T23:59:00Z")
    assert invoice.elements["EndEvent_nudged"].event.escalation_code == "SLOW_SUPPLIER"  # type: ignore[union-attr]
    assert invoice.elements["EndEvent_archived"].event.signal_name == "invoice-archived"  # type: ignore[union-attr]


# --- element types ------------------------------------------------------------------------

DEFINITION_TAGS = {
    EventKind.NONE: "",
    EventKind.MESSAGE: "<messageEventDefinition/>",
    EventKind.SIGNAL: "<signalEventDefinition/>",
    EventKind.TIMER: "<timerEventDefinition/>",
    EventKind.ERROR: "<errorEventDefinition/>",
    EventKind.ESCALATION: "<escalationEventDefinition/>",
    EventKind.TERMINATE: "<terminateEventDefinition/>",
    EventKind.LINK: '<linkEventDefinition name="x"/>',
}


@pytest.mark.parametrize(
    ("tag", "kind", "element_type"),
    [
        ("startEvent", EventKind.NONE, ElementType.NONE_START_EVENT),
        ("startEvent", EventKind.MESSAGE, ElementType.MESSAGE_START_EVENT),
        ("startEvent", EventKind.SIGNAL, ElementType.SIGNAL_START_EVENT),
        ("startEvent", EventKind.TIMER, ElementType.TIMER_START_EVENT),
        ("endEvent", EventKind.NONE, ElementType.NONE_END_EVENT),
        ("endEvent", EventKind.ERROR, ElementType.ERROR_END_EVENT),
        ("endEvent", EventKind.ESCALATION, ElementType.ESCALATION_END_EVENT),
        ("endEvent", EventKind.MESSAGE, ElementType.MESSAGE_END_EVENT),
        ("endEvent", EventKind.SIGNAL, ElementType.SIGNAL_END_EVENT),
        ("endEvent", EventKind.TERMINATE, ElementType.TERMINATE_END_EVENT),
        ("intermediateCatchEvent", EventKind.MESSAGE, ElementType.MESSAGE_CATCH_EVENT),
        ("intermediateCatchEvent", EventKind.SIGNAL, ElementType.SIGNAL_CATCH_EVENT),
        ("intermediateCatchEvent", EventKind.TIMER, ElementType.TIMER_CATCH_EVENT),
        ("intermediateCatchEvent", EventKind.LINK, ElementType.LINK_CATCH_EVENT),
        ("intermediateThrowEvent", EventKind.NONE, ElementType.NONE_THROW_EVENT),
        ("intermediateThrowEvent", EventKind.ESCALATION, ElementType.ESCALATION_THROW_EVENT),
        ("intermediateThrowEvent", EventKind.MESSAGE, ElementType.MESSAGE_THROW_EVENT),
        ("intermediateThrowEvent", EventKind.SIGNAL, ElementType.SIGNAL_THROW_EVENT),
        ("intermediateThrowEvent", EventKind.LINK, ElementType.LINK_THROW_EVENT),
        ("boundaryEvent", EventKind.ERROR, ElementType.ERROR_BOUNDARY_EVENT),
        ("boundaryEvent", EventKind.ESCALATION, ElementType.ESCALATION_BOUNDARY_EVENT),
        ("boundaryEvent", EventKind.MESSAGE, ElementType.MESSAGE_BOUNDARY_EVENT),
        ("boundaryEvent", EventKind.SIGNAL, ElementType.SIGNAL_BOUNDARY_EVENT),
        ("boundaryEvent", EventKind.TIMER, ElementType.TIMER_BOUNDARY_EVENT),
    ],
)
def test_event_type_follows_tag_and_definition(tag: str, kind: EventKind, element_type: ElementType) -> None:
    xml = bpmn(f'<task id="t"/><{tag} id="e" attachedToRef="t">{DEFINITION_TAGS[kind]}</{tag}>')
    event = _parse_unvalidated(xml).elements["e"]
    assert event.type is element_type
    if kind is EventKind.NONE:
        assert event.event is None
    else:
        assert event.event is not None
        assert event.event.kind is kind


def _parse_unvalidated(xml: str) -> ProcessModel:
    """Parse the process as non-executable, so that a lone link event or boundary event is no problem."""
    process = parse_definitions(xml.replace('isExecutable="true"', 'isExecutable="false"')).process("p")
    assert process is not None
    return process


@pytest.mark.parametrize(
    ("tag", "definition", "words"),
    [
        ("startEvent", "<errorEventDefinition/>", "error event definitions on a startEvent"),
        ("startEvent", "<linkEventDefinition name='a'/>", "link event definitions on a startEvent"),
        ("endEvent", "<timerEventDefinition/>", "timer event definitions on a endEvent"),
        (
            "intermediateThrowEvent",
            "<timerEventDefinition/>",
            "timer event definitions on a intermediateThrowEvent",
        ),
        ("boundaryEvent", "<terminateEventDefinition/>", "terminate event definitions on a boundaryEvent"),
    ],
)
def test_wrong_event_definitions_are_refused(tag: str, definition: str, words: str) -> None:
    causes = causes_of(bpmn(f'<task id="t"/><{tag} id="e" attachedToRef="t">{definition}</{tag}>'))
    assert [(cause.pointer, cause.type) for cause in causes] == [("#/p/e", "not_supported")]
    assert f"element e of type {tag} is not supported" in causes[0].detail
    assert words in causes[0].detail


@pytest.mark.parametrize(
    ("tag", "definition", "construct", "words"),
    [
        ("intermediateCatchEvent", "<conditionalEventDefinition/>", "conditionalEventDefinition", "conditional events"),
        ("boundaryEvent", "<compensateEventDefinition/>", "compensateEventDefinition", "compensation events"),
        ("boundaryEvent", "<cancelEventDefinition/>", "cancelEventDefinition", "cancel events"),
        ("endEvent", "<eventDefinitionRef>x</eventDefinitionRef>", "eventDefinitionRef", "eventDefinitionRef"),
        (
            "startEvent",
            "<messageEventDefinition/><timerEventDefinition/>",
            "2 event definitions (messageEventDefinition, timerEventDefinition)",
            "more than one event definition",
        ),
    ],
)
def test_event_definitions_not_run_yet_are_named_as_bpmn_spells_them(
    tag: str, definition: str, construct: str, words: str
) -> None:
    causes = causes_of(bpmn(f'<task id="t"/><{tag} id="e" attachedToRef="t">{definition}</{tag}>'))
    assert [(cause.pointer, cause.type) for cause in causes] == [("#/p/e", "not_supported")]
    assert causes[0].detail.startswith(f'{construct} on {tag} "e" is not supported yet: ')
    assert words in causes[0].detail


@pytest.mark.parametrize(
    ("tag", "element_type"),
    [
        ("task", ElementType.TASK),
        ("manualTask", ElementType.MANUAL_TASK),
        ("serviceTask", ElementType.SERVICE_TASK),
        ("sendTask", ElementType.SEND_TASK),
        ("scriptTask", ElementType.SCRIPT_TASK),
        ("businessRuleTask", ElementType.BUSINESS_RULE_TASK),
        ("userTask", ElementType.USER_TASK),
        ("callActivity", ElementType.CALL_ACTIVITY),
        ("exclusiveGateway", ElementType.EXCLUSIVE_GATEWAY),
        ("inclusiveGateway", ElementType.INCLUSIVE_GATEWAY),
        ("parallelGateway", ElementType.PARALLEL_GATEWAY),
    ],
)
def test_task_and_gateway_tags_map_to_element_types(tag: str, element_type: ElementType) -> None:
    assert process_of(bpmn(f'<{tag} id="x" name="X"/>')).elements["x"].type is element_type


@pytest.mark.parametrize(
    ("body", "construct", "words"),
    [
        ('<receiveTask id="x"/>', 'receiveTask "x"', "receive tasks"),
        ('<complexGateway id="x"/>', 'complexGateway "x"', "complex gateways"),
        ('<transaction id="x"><startEvent id="s"/></transaction>', 'transaction "x"', "transaction sub-processes"),
        ('<adHocSubProcess id="x"><task id="a"/></adHocSubProcess>', 'adHocSubProcess "x"', "ad-hoc sub-processes"),
        ('<choreographyTask id="x"/>', 'choreographyTask "x"', "choreographies"),
        (
            '<serviceTask id="x"><multiInstanceLoopCharacteristics/></serviceTask>',
            'multiInstanceLoopCharacteristics on serviceTask "x"',
            "multi-instance activities",
        ),
        (
            '<subProcess id="x"><standardLoopCharacteristics/><startEvent id="s"/></subProcess>',
            'standardLoopCharacteristics on subProcess "x"',
            "loop activities",
        ),
        (
            '<serviceTask id="x" isForCompensation="true"/>',
            'isForCompensation="true" on serviceTask "x"',
            "compensation activities",
        ),
        (
            '<subProcess id="x" triggeredByEvent="true"><startEvent id="s"/></subProcess>',
            'subProcess "x" with triggeredByEvent="true"',
            "event sub-processes",
        ),
        (
            '<eventBasedGateway id="x" instantiate="true"/>',
            'instantiate="true" on eventBasedGateway "x"',
            "instantiating event-based gateways",
        ),
        (
            '<eventBasedGateway id="x" eventGatewayType="Parallel"/>',
            'eventGatewayType="Parallel" on eventBasedGateway "x"',
            "parallel event-based gateways",
        ),
    ],
)
def test_constructs_not_run_yet_are_named_as_bpmn_spells_them(body: str, construct: str, words: str) -> None:
    causes = causes_of(bpmn(body))
    [cause] = [cause for cause in causes if cause.pointer == "#/p/x" and words in cause.detail]
    assert cause.type == "not_supported"
    assert cause.detail.startswith(f"{construct} is not supported yet: {words}")


def test_unknown_element_is_refused_without_reporting_its_flows_again() -> None:
    xml = bpmn(
        '<startEvent id="s"/><sequenceFlow id="f1" sourceRef="s" targetRef="x"/>'
        '<fancyTask id="x"/><sequenceFlow id="f2" sourceRef="x" targetRef="e"/><endEvent id="e"/>'
    )
    causes = causes_of(xml)
    assert [(cause.pointer, cause.detail) for cause in causes] == [
        ("#/p/x", "element x of type fancyTask is not supported (line 1)")
    ]


def test_ignored_artefacts_are_skipped() -> None:
    xml = bpmn(
        '<documentation>doc</documentation><extensionElements/><laneSet id="ls"><lane id="l"/></laneSet>'
        '<dataObject id="do"/><dataObjectReference id="dor" dataObjectRef="do"/>'
        '<dataStoreReference id="dsr"/><textAnnotation id="ta"><text>t</text></textAnnotation>'
        '<association id="as" sourceRef="t" targetRef="ta"/><group id="g"/>'
        '<ioSpecification id="io"/><property id="pr"/>'
        '<task id="t"><dataInputAssociation id="dia"/><dataOutputAssociation id="doa"/>'
        '<property id="tp"/><ioSpecification id="tio"/></task>'
    )
    assert list(process_of(xml).elements) == ["p", "t"]


def test_non_executable_processes_are_returned_without_validation() -> None:
    xml = bpmn('<receiveTask id="x"/><sequenceFlow id="f" sourceRef="nowhere"/>', executable="false")
    process = process_of(xml)
    assert process.process.is_executable is False
    assert "process p is not executable" in validate_process(process)[0].detail


def test_process_without_is_executable_is_executable_with_a_warning() -> None:
    xml = f'<definitions xmlns="{BPMN}"><process id="p"><task id="t"/></process></definitions>'
    process = process_of(xml)
    assert process.process.is_executable is True
    assert validate_process(process) == []
    [warning] = process.warnings
    assert (warning.pointer, warning.type) == ("#/p", "leniency")
    assert "has no isExecutable attribute; Baton runs it as executable" in warning.detail


def test_sequence_flow_without_id_gets_a_stable_one() -> None:
    xml = bpmn(
        '<startEvent id="s"/><sequenceFlow sourceRef="s" targetRef="e"/><sequenceFlow sourceRef="s" targetRef="e"/>'
        '<endEvent id="e"/>'
    )
    process = process_of(xml)
    assert sorted(process.flows) == ["s-e", "s-e-2"]
    assert process.elements["s"].outgoing == ("s-e", "s-e-2")
    assert [w.pointer for w in process.warnings] == ["#/p/s-e", "#/p/s-e-2"]
    assert process_of(xml).flows == process.flows


def test_non_executable_process_is_diagnosed_like_an_executable_one() -> None:
    # The flows to refused elements were once reported as "names no element of process".
    xml = bpmn(
        '<startEvent id="s"/><sequenceFlow id="f1" sourceRef="s" targetRef="r"/><receiveTask id="r"/>'
        '<sequenceFlow id="f2" sourceRef="r" targetRef="t"/><transaction id="t"/>',
        executable="false",
    )
    causes = validate_process(process_of(xml))
    assert [cause.pointer for cause in causes] == ["#/p", "#/p/r", "#/p/t"]
    assert not any("names no element" in cause.detail for cause in causes)


def test_every_cause_is_reported_at_once() -> None:
    xml = bpmn(
        '<startEvent id="s1"/><startEvent id="s2"/><receiveTask id="r"/>'
        '<sequenceFlow id="f" sourceRef="s1" targetRef="missing"/>'
        '<intermediateCatchEvent id="c"/>'
    )
    causes = causes_of(xml)
    assert {cause.pointer for cause in causes} == {"#/p/r", "#/p/c", "#/p", "#/p/f"}
    assert len(causes) == 4


def test_several_processes_are_all_returned_and_looked_up_by_id() -> None:
    xml = (
        f'<definitions xmlns="{BPMN}"><process id="a" isExecutable="true"><task id="ta"/></process>'
        '<process id="b" isExecutable="false"><task id="tb"/></process></definitions>'
    )
    definitions = parse_definitions(xml)
    assert [process.id for process in definitions.processes] == ["a", "b"]
    assert definitions.process("b").elements["tb"].parent_id == "b"  # type: ignore[union-attr]
    assert definitions.process("c") is None
    assert definitions.collaboration_id is None


def test_flow_lists_come_from_source_and_target_refs_in_document_order() -> None:
    xml = bpmn(
        '<exclusiveGateway id="g"><outgoing>wrong</outgoing><incoming>f1</incoming></exclusiveGateway>'
        '<startEvent id="s"/><task id="a"/><task id="b"/>'
        '<sequenceFlow id="f3" sourceRef="g" targetRef="b"/>'
        '<sequenceFlow id="f1" sourceRef="s" targetRef="g"/>'
        '<sequenceFlow id="f2" sourceRef="g" targetRef="a"/>'
    )
    process = process_of(xml)
    assert process.elements["g"].incoming == ("f1",)
    assert process.elements["g"].outgoing == ("f3", "f2")
    assert [flow.target_id for flow in process.outgoing("g")] == ["b", "a"]


def test_qualified_references_are_reduced_to_ids() -> None:
    xml = bpmn(
        '<task id="t"/><boundaryEvent id="b" attachedToRef="tns:t">'
        '<messageEventDefinition messageRef="tns:m"/></boundaryEvent>',
        roots='<message id="m" name="hello"/>',
    )
    boundary = process_of(xml).elements["b"]
    assert boundary.attached_to == "t"
    assert boundary.event.message_name == "hello"  # type: ignore[union-attr]


# --- references ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("definition", "attribute", "tag"),
    [
        ('<messageEventDefinition messageRef="nope"/>', "messageRef", "message"),
        ('<signalEventDefinition signalRef="nope"/>', "signalRef", "signal"),
    ],
)
def test_reference_to_a_missing_root_element_is_a_cause(definition: str, attribute: str, tag: str) -> None:
    causes = causes_of(bpmn(f'<task id="t"/><boundaryEvent id="b" attachedToRef="t">{definition}</boundaryEvent>'))
    assert [(cause.pointer, cause.type, cause.value) for cause in causes] == [("#/p/b", "reference", "nope")]
    assert f"has {attribute} nope, but the document has no <{tag}> with id nope" in causes[0].detail


@pytest.mark.parametrize(
    ("definition", "field"),
    [
        ('<errorEventDefinition errorRef="E_42"/>', "error_code"),
        ('<escalationEventDefinition escalationRef="E_42"/>', "escalation_code"),
    ],
)
def test_error_or_escalation_ref_naming_no_root_element_is_the_code(definition: str, field: str) -> None:
    # Flowable writes the code itself into errorRef.
    process = process_of(bpmn(f'<task id="t"/><boundaryEvent id="b" attachedToRef="t">{definition}</boundaryEvent>'))
    assert getattr(process.elements["b"].event, field) == "E_42"
    [warning] = process.warnings
    assert warning.pointer == "#/p/b"
    assert "Baton uses E_42 as the" in warning.detail


def test_reference_to_a_root_element_of_another_kind_is_a_cause() -> None:
    xml = bpmn(
        '<intermediateCatchEvent id="c"><messageEventDefinition messageRef="s"/></intermediateCatchEvent>',
        roots='<signal id="s" name="x"/>',
    )
    assert [cause.type for cause in causes_of(xml)] == ["reference"]


def test_referenced_elements_without_name_or_code_leave_them_unset() -> None:
    xml = bpmn(
        '<startEvent id="s"><messageEventDefinition messageRef="m"/></startEvent>'
        '<endEvent id="e"><errorEventDefinition errorRef="err"/></endEvent>',
        roots='<message id="m"/><error id="err" name="no code"/>',
    )
    process = process_of(xml)
    assert process.elements["s"].event.message_name is None  # type: ignore[union-attr]
    assert process.elements["e"].event.error_code is None  # type: ignore[union-attr]


def test_timer_with_two_values_is_a_cause() -> None:
    xml = bpmn(
        "<intermediateCatchEvent id='c'><timerEventDefinition>"
        "<timeDate>2025-01-01T00:00:00Z</timeDate><timeDuration>PT1H</timeDuration>"
        "</timerEventDefinition></intermediateCatchEvent>"
    )
    [cause] = causes_of(xml)
    assert cause.pointer == "#/p/c"
    assert "timeDate and timeDuration" in cause.detail


def test_timer_values_are_stripped_and_blank_values_are_unset() -> None:
    xml = bpmn(
        "<intermediateCatchEvent id='c'><timerEventDefinition>"
        "<timeDate>  </timeDate><timeCycle>\n  0 0 9 * * MON  \n</timeCycle>"
        "</timerEventDefinition></intermediateCatchEvent>"
    )
    assert process_of(xml).elements["c"].event.timer == Timer(time_cycle="0 0 9 * * MON")  # type: ignore[union-attr]


# --- extensions ---------------------------------------------------------------------------


def test_zeebe_wins_over_camunda_over_standard_assignment() -> None:
    xml = bpmn(
        '<userTask id="u" camunda:assignee="camundaUser" camunda:candidateGroups="camundaGroup" '
        'camunda:priority="10">'
        '<extensionElements><zeebe:assignmentDefinition assignee="zeebeUser"/></extensionElements>'
        "<humanPerformer><resourceAssignmentExpression><formalExpression>standardUser</formalExpression>"
        "</resourceAssignmentExpression></humanPerformer>"
        "<potentialOwner><resourceAssignmentExpression><formalExpression>user(standardCandidate)"
        "</formalExpression></resourceAssignmentExpression></potentialOwner>"
        "</userTask>"
    )
    assert process_of(xml).elements["u"].assignment == Assignment(
        assignee="zeebeUser",
        candidate_users=("standardCandidate",),
        candidate_groups=("camundaGroup",),
        priority="10",
    )


def test_user_task_without_assignment_has_none() -> None:
    assert process_of(bpmn('<userTask id="u"/>')).elements["u"].assignment is None


@pytest.mark.parametrize(
    ("value", "items"),
    [
        ("a, b ,c", ("a", "b", "c")),
        (" single ", ("single",)),
        ("a,,b,", ("a", "b")),
        ('=["a", "b"]', ('=["a", "b"]',)),
        ("${helper.groups(a, b)}, admins", ("${helper.groups(a, b)}", "admins")),
        ("", ()),
        (None, ()),
    ],
)
def test_candidate_lists_split_on_commas_outside_expressions(value: str | None, items: tuple[str, ...]) -> None:
    assert split_list(value) == items


def test_camunda_type_external_without_topic_is_a_cause() -> None:
    [cause] = causes_of(bpmn('<serviceTask id="s" camunda:type="external"/>'))
    assert cause.pointer == "#/p/s"
    assert 'camunda:type="external" needs a camunda:topic' in cause.detail


def test_zeebe_task_definition_wins_over_camunda_topic() -> None:
    xml = bpmn(
        '<scriptTask id="s" camunda:type="external" camunda:topic="old">'
        '<extensionElements><zeebe:taskDefinition type="new" retries="0"/></extensionElements></scriptTask>'
    )
    script = process_of(xml).elements["s"]
    assert (script.job_type, script.job_retries) == ("new", 0)


def test_job_type_is_read_only_for_job_tasks() -> None:
    xml = bpmn('<userTask id="u"><extensionElements><zeebe:taskDefinition type="x"/></extensionElements></userTask>')
    assert process_of(xml).elements["u"].job_type is None


@pytest.mark.parametrize("retries", ["-1", "three", "1.5"])
def test_retries_that_are_neither_integer_nor_expression_are_a_cause(retries: str) -> None:
    xml = bpmn(
        f'<serviceTask id="s"><extensionElements><zeebe:taskDefinition type="t" retries="{retries}"/>'
        "</extensionElements></serviceTask>"
    )
    [cause] = causes_of(xml)
    assert f'retries "{retries}"' in cause.detail


def test_task_definition_without_type_is_a_cause() -> None:
    xml = bpmn('<serviceTask id="s"><extensionElements><zeebe:taskDefinition/></extensionElements></serviceTask>')
    assert "zeebe:taskDefinition has no type" in causes_of(xml)[0].detail


def test_camunda_input_parameter_lists_and_maps_are_read_nested() -> None:
    xml = bpmn(
        '<task id="t"><extensionElements><camunda:inputOutput><camunda:inputParameter name="xs">'
        "<camunda:list><camunda:value>a</camunda:value><camunda:value>${b}</camunda:value>"
        '<camunda:map><camunda:entry key="k">v</camunda:entry></camunda:map></camunda:list>'
        '</camunda:inputParameter><camunda:inputParameter name="m"><camunda:map>'
        '<camunda:entry key="one"><camunda:list><camunda:value>1</camunda:value></camunda:list></camunda:entry>'
        "</camunda:map></camunda:inputParameter>"
        "</camunda:inputOutput></extensionElements></task>"
    )
    [process] = parse_definitions(xml).processes
    xs, m = process.elements["t"].inputs
    text = partial(Parameter, "text")
    assert xs.value == Parameter(
        "list", items=((None, text("a")), (None, text("${b}")), (None, Parameter("map", items=(("k", text("v")),))))
    )
    assert m.value == Parameter("map", items=(("one", Parameter("list", items=((None, text("1")),))),))


def test_camunda_script_parameter_is_a_cause_naming_it() -> None:
    xml = bpmn(
        '<task id="t"><extensionElements><camunda:inputOutput><camunda:inputParameter name="xs">'
        '<camunda:script scriptFormat="groovy">1 + 1</camunda:script></camunda:inputParameter>'
        "</camunda:inputOutput></extensionElements></task>"
    )
    detail = causes_of(xml)[0].detail
    assert "camunda:inputParameter xs is a camunda:script (groovy), which Baton does not run" in detail


def test_a_camunda_map_entry_without_key_is_a_cause() -> None:
    xml = bpmn(
        '<task id="t"><extensionElements><camunda:inputOutput><camunda:inputParameter name="m">'
        "<camunda:map><camunda:entry>v</camunda:entry></camunda:map></camunda:inputParameter>"
        "</camunda:inputOutput></extensionElements></task>"
    )
    assert "camunda:inputParameter m: a camunda:map holds an entry without a key" in causes_of(xml)[0].detail


def test_zeebe_mapping_without_target_is_a_cause() -> None:
    xml = bpmn(
        '<task id="t"><extensionElements><zeebe:ioMapping><zeebe:input source="=a"/></zeebe:ioMapping>'
        "</extensionElements></task>"
    )
    assert "a zeebe:input mapping has no source or no target" in causes_of(xml)[0].detail


@pytest.mark.parametrize(
    ("attributes", "extension", "expected"),
    [
        ('calledElement="child"', "", ("child", None, True)),
        ('calledElement="child:3"', "", ("child:3", None, True)),
        ("", '<zeebe:calledElement processId="=childId"/>', ("=childId", None, True)),
        (
            'calledElement="std"',
            '<zeebe:calledElement processId="zeebe" propagateAllChildVariables="true"/>',
            ("zeebe", None, True),
        ),
        ('calledElement="c" camunda:calledElementBinding="latest"', "", ("c", None, True)),
        (
            'calledElement="c" camunda:calledElementBinding="version" camunda:calledElementVersion="7"',
            "",
            ("c", "7", True),
        ),
    ],
)
def test_called_element_is_read_from_every_dialect(
    attributes: str, extension: str, expected: tuple[object, ...]
) -> None:
    xml = bpmn(f'<callActivity id="c" {attributes}><extensionElements>{extension}</extensionElements></callActivity>')
    call = process_of(xml).elements["c"]
    assert (call.called_element, call.called_version, call.propagate_all_child_variables) == expected


@pytest.mark.parametrize(
    ("attributes", "extension", "words"),
    [
        ('camunda:calledElementBinding="deployment"', "", 'camunda:calledElementBinding "deployment"'),
        ('camunda:calledElementBinding="version"', "", "needs a camunda:calledElementVersion"),
        ("", '<zeebe:calledElement processId="x" bindingType="versionTag"/>', 'bindingType "versionTag"'),
        (
            "",
            '<zeebe:calledElement processId="x" propagateAllChildVariables="maybe"/>',
            "is not true or false",
        ),
    ],
)
def test_unsupported_called_element_bindings_are_refused(attributes: str, extension: str, words: str) -> None:
    xml = bpmn(
        f'<callActivity id="c" calledElement="x" {attributes}>'
        f"<extensionElements>{extension}</extensionElements></callActivity>"
    )
    [cause] = causes_of(xml)
    assert cause.pointer == "#/p/c"
    assert words in cause.detail


@pytest.mark.parametrize("language", ["feel", "FEEL", "http://www.omg.org/spec/FEEL/20140401", "juel"])
def test_conditions_in_feel_or_juel_are_accepted(language: str) -> None:
    xml = bpmn(
        '<exclusiveGateway id="g"/><task id="t"/><sequenceFlow id="f" sourceRef="g" targetRef="t">'
        f'<conditionExpression language="{language}">=a</conditionExpression></sequenceFlow>'
    )
    assert process_of(xml).flows["f"].condition == "=a"


def test_script_conditions_are_refused() -> None:
    xml = bpmn(
        '<exclusiveGateway id="g"/><task id="t"/><sequenceFlow id="f" sourceRef="g" targetRef="t">'
        '<conditionExpression language="javascript">a &gt; 1</conditionExpression></sequenceFlow>'
    )
    [cause] = causes_of(xml)
    assert (cause.pointer, cause.type) == ("#/p/f", "not_supported")
    assert 'language "javascript"' in cause.detail


def test_boundary_event_with_invalid_cancel_activity_is_a_cause() -> None:
    xml = bpmn(
        '<task id="t"/><boundaryEvent id="b" attachedToRef="t" cancelActivity="no"><timerEventDefinition/>'
        "</boundaryEvent>"
    )
    assert 'cancelActivity "no" is not true or false' in causes_of(xml)[0].detail


@pytest.mark.parametrize(("written", "read"), [('"PT1S"', "PT1S"), ("'P14D'", "P14D"), ('"R2/PT0.1S"', "R2/PT0.1S")])
def test_timer_values_quoted_as_python_strings_are_read_as_their_text(written: str, read: str) -> None:
    tag = "timeCycle" if written.startswith('"R') else "timeDuration"
    definition = f"<timerEventDefinition><{tag}>{written}</{tag}></timerEventDefinition>"
    xml = bpmn(f'<intermediateCatchEvent id="c">{definition}</intermediateCatchEvent>')
    timer = process_of(xml).elements["c"].event.timer
    assert (timer.time_cycle if tag == "timeCycle" else timer.time_duration) == read
