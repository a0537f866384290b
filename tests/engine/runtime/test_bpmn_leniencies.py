"""Scenario tests of what models from other engines rely on: BPMN conditional flows leaving
activities, implicit sub-process starts, and error codes written into ``errorRef``."""

from __future__ import annotations

from engine.commands.incidents import resolve_incident
from engine.commands.variables import set_process_variables
from tests.scenario import WORKER, variables

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"


def process(body: str) -> str:
    return f'<definitions xmlns="{BPMN}" id="d"><process id="p" isExecutable="true">{body}</process></definitions>'


CONDITIONAL = process(
    '<startEvent id="s"/><sequenceFlow id="f0" sourceRef="s" targetRef="a"/>'
    '<serviceTask id="a" default="toC"/>'
    '<sequenceFlow id="toB" sourceRef="a" targetRef="b"><conditionExpression>=x &gt; 1</conditionExpression>'
    "</sequenceFlow>"
    '<sequenceFlow id="toC" sourceRef="a" targetRef="c"/>'
    '<sequenceFlow id="toD" sourceRef="a" targetRef="d"><conditionExpression>=x &gt; 2</conditionExpression>'
    "</sequenceFlow>"
    '<endEvent id="b"/><endEvent id="c"/><endEvent id="d"/>'
)


def ended_at(instance) -> list[str]:
    return sorted(ei.bpmn_element_id for ei in instance.element_instances(["COMPLETED"]) if ei.bpmn_element_id in "bcd")


def test_an_activity_takes_every_conditional_flow_whose_condition_holds(scenario):
    instance = scenario.start(scenario.deploy(CONDITIONAL, "p"), {"x": 3})
    instance.complete_job("a")
    instance.is_completed()
    assert ended_at(instance) == ["b", "d"]


def test_an_activity_takes_its_default_flow_when_no_condition_holds(scenario):
    instance = scenario.start(scenario.deploy(CONDITIONAL, "p"), {"x": 0})
    instance.complete_job("a")
    instance.is_completed()
    assert ended_at(instance) == ["c"]


def test_an_activity_whose_flows_cannot_be_taken_waits_with_an_incident_until_resolved(scenario):
    xml = CONDITIONAL.replace(' default="toC"', "").replace('<sequenceFlow id="toC" sourceRef="a" targetRef="c"/>', "")
    instance = scenario.start(scenario.deploy(xml, "p"), {"x": 0})
    instance.complete_job("a")
    [incident] = instance.incidents()
    assert "no outgoing sequence flow of a can be taken" in incident.error
    instance.has_state("STARTED")
    scenario.db.run(set_process_variables, instance.partition, instance.id, variables({"x": 2}), scenario.policy)
    scenario.db.run(resolve_incident, incident.partition, incident.id, WORKER)
    instance.execute_tasks()
    instance.is_completed()
    assert ended_at(instance) == ["b"]
    assert len(instance.jobs()) == 1  # leaving again did not run the activity a second time


def test_a_sub_process_without_start_event_starts_at_its_elements_without_incoming_flows(scenario):
    xml = process(
        '<startEvent id="s"/><sequenceFlow id="f0" sourceRef="s" targetRef="sub"/>'
        '<subProcess id="sub"><serviceTask id="a"/><serviceTask id="b"/></subProcess>'
        '<sequenceFlow id="f1" sourceRef="sub" targetRef="e"/><endEvent id="e"/>'
    )
    instance = scenario.start(scenario.deploy(xml, "p"))
    assert sorted(job.bpmn_element_id for job in instance.jobs()) == ["a", "b"]
    instance.complete_job("a")
    instance.has_state("STARTED")
    instance.complete_job("b")
    instance.is_completed()


def test_an_error_ref_naming_no_error_is_the_error_code(scenario):
    xml = process(
        '<startEvent id="s"/><sequenceFlow id="f0" sourceRef="s" targetRef="a"/><serviceTask id="a"/>'
        '<boundaryEvent id="caught" attachedToRef="a"><errorEventDefinition errorRef="PAYMENT_FAILED"/></boundaryEvent>'
        '<sequenceFlow id="f1" sourceRef="a" targetRef="e"/><endEvent id="e"/>'
        '<sequenceFlow id="f2" sourceRef="caught" targetRef="failed"/><endEvent id="failed"/>'
    )
    instance = scenario.start(scenario.deploy(xml, "p"))
    instance.complete_job("a", completion={"errorCode": "PAYMENT_FAILED"})
    instance.is_completed()
    instance.has_passed("failed")


SPIFF_TIMER = (
    f'<definitions xmlns="{BPMN}" xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d">'
    '<process id="p" isExecutable="true"><startEvent id="s"/><sequenceFlow id="f0" sourceRef="s" targetRef="wait"/>'
    '<intermediateCatchEvent id="wait"><timerEventDefinition><timeDate>due</timeDate></timerEventDefinition>'
    '</intermediateCatchEvent><sequenceFlow id="f1" sourceRef="wait" targetRef="e"/><endEvent id="e"/>'
    "</process></definitions>"
)


def test_a_python_models_timer_may_be_a_python_expression(scenario):
    process_id = scenario.deploy(SPIFF_TIMER, "p")
    scenario.start(process_id, {"due": "2000-01-01T00:00:05Z"}).is_completed()  # due already: fires at once
    waiting = scenario.start(process_id, {"due": "2999-01-01T00:00:00Z"})
    waiting.is_waiting_at("wait")
    assert waiting.incidents() == []


def test_a_python_condition_decides_a_gateway(scenario):
    xml = process(
        '<startEvent id="s"/><sequenceFlow id="f0" sourceRef="s" targetRef="g"/><exclusiveGateway id="g"/>'
        '<sequenceFlow id="yes" sourceRef="g" targetRef="a"><conditionExpression>answer == &apos;Yes&apos;'
        '</conditionExpression></sequenceFlow><sequenceFlow id="no" sourceRef="g" targetRef="b">'
        "<conditionExpression>not answer == 'Yes'</conditionExpression></sequenceFlow>"
        '<endEvent id="a"/><endEvent id="b"/>'
    )
    process_id = scenario.deploy(xml, "p")
    scenario.start(process_id, {"answer": "Yes"}).is_completed().has_passed("a")
    scenario.start(process_id, {"answer": "No"}).is_completed().has_passed("b")
