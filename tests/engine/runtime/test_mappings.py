"""Input and output mappings of activities (``zeebe:ioMapping``, ``camunda:inputOutput``):
inputs become local variables of the activity, outputs are propagated out of it."""

from __future__ import annotations

from engine.commands.variables import get_element_variables
from engine.variables import to_value
from tests.scenario import variables

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
ZEEBE = "http://camunda.org/schema/zeebe/1.0"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"


def process(body: str) -> str:
    return (
        f'<definitions xmlns="{BPMN}" xmlns:zeebe="{ZEEBE}" xmlns:camunda="{CAMUNDA}" id="d">'
        f'<process id="p" isExecutable="true"><startEvent id="s"/>'
        f'<sequenceFlow id="f0" sourceRef="s" targetRef="a"/>{body}'
        '<sequenceFlow id="f1" sourceRef="a" targetRef="e"/><endEvent id="e"/></process></definitions>'
    )


def local_variables(scenario, job) -> dict:
    values = scenario.db.run(
        get_element_variables, job.partition, job.element_instance_id, [], scenario.policy, include_parents=False
    )
    return {name: to_value(data) for name, data in values.items()}


def test_zeebe_inputs_are_local_to_the_task_and_outputs_reach_the_process(scenario):
    xml = process(
        '<serviceTask id="a"><extensionElements><zeebe:taskDefinition type="work"/><zeebe:ioMapping>'
        '<zeebe:input source="=order.total * 2" target="doubled"/><zeebe:input source="customer" target="who"/>'
        '<zeebe:output source="=result + doubled" target="sum"/><zeebe:output source="=result" target="order.paid"/>'
        "</zeebe:ioMapping></extensionElements></serviceTask>"
    )
    instance = scenario.start(scenario.deploy(xml, "p"), {"order": {"total": 5, "id": "o1"}, "customer": "ann"})
    [job] = instance.jobs()
    assert local_variables(scenario, job) == {"doubled": 10, "who": "ann"}
    assert "doubled" not in instance.variables()
    instance.complete_job("a", element_variables=variables({"result": 1}))
    instance.is_completed()
    values = instance.variables()
    assert values["sum"] == 11
    assert values["order"] == {"total": 5, "id": "o1", "paid": 1}  # a dotted target keeps the other members
    assert "result" not in values and "doubled" not in values


def test_camunda_parameters_constants_templates_lists_and_maps(scenario):
    xml = process(
        '<serviceTask id="a" camunda:type="external" camunda:topic="work"><extensionElements><camunda:inputOutput>'
        '<camunda:inputParameter name="greeting">Hello ${name}, you are ${age}</camunda:inputParameter>'
        '<camunda:inputParameter name="plain">just text</camunda:inputParameter>'
        '<camunda:inputParameter name="items"><camunda:list><camunda:value>${age + 1}</camunda:value>'
        "<camunda:value>two</camunda:value></camunda:list></camunda:inputParameter>"
        '<camunda:inputParameter name="info"><camunda:map><camunda:entry key="who">${name}</camunda:entry>'
        '<camunda:entry key="tags"><camunda:list><camunda:value>x</camunda:value></camunda:list></camunda:entry>'
        "</camunda:map></camunda:inputParameter>"
        '<camunda:outputParameter name="summary">${greeting}!</camunda:outputParameter>'
        "</camunda:inputOutput></extensionElements></serviceTask>"
    )
    instance = scenario.start(scenario.deploy(xml, "p"), {"name": "Bo", "age": 41})
    [job] = instance.jobs()
    assert local_variables(scenario, job) == {
        "greeting": "Hello Bo, you are 41",
        "plain": "just text",
        "items": [42, "two"],
        "info": {"who": "Bo", "tags": ["x"]},
    }
    instance.complete_job("a")
    instance.is_completed()
    assert instance.variables()["summary"] == "Hello Bo, you are 41!"


def test_an_output_is_set_in_the_sub_process_scope_that_holds_the_name(scenario):
    xml = process(
        '<subProcess id="a"><extensionElements><zeebe:ioMapping><zeebe:input source="=0" target="count"/>'
        '<zeebe:output source="=count" target="total"/></zeebe:ioMapping></extensionElements>'
        '<startEvent id="ss"/><sequenceFlow id="g0" sourceRef="ss" targetRef="t"/>'
        '<serviceTask id="t"><extensionElements><zeebe:taskDefinition type="work"/><zeebe:ioMapping>'
        '<zeebe:output source="=count + 5" target="count"/></zeebe:ioMapping></extensionElements></serviceTask>'
        '<sequenceFlow id="g1" sourceRef="t" targetRef="se"/><endEvent id="se"/></subProcess>'
    )
    instance = scenario.start(scenario.deploy(xml, "p"))
    instance.complete_job("t")
    instance.is_completed()
    values = instance.variables()
    assert values["total"] == 5  # the task's output went to the sub-process's local count
    assert "count" not in values


def test_a_failing_input_mapping_is_an_incident_and_resolving_it_evaluates_again(scenario):
    from engine.commands.incidents import resolve_incident
    from engine.commands.variables import set_process_variables
    from tests.scenario import WORKER

    xml = process(
        '<userTask id="a"><extensionElements><zeebe:ioMapping><zeebe:input source="=assert(x, x != null)" '
        'target="y"/></zeebe:ioMapping></extensionElements></userTask>'
    )
    instance = scenario.start(scenario.deploy(xml, "p"))
    [incident] = instance.incidents()
    assert "a" in incident.error
    scenario.db.run(set_process_variables, instance.partition, instance.id, variables({"x": 3}), scenario.policy)
    scenario.db.run(resolve_incident, incident.partition, incident.id, WORKER)
    instance.execute_tasks()
    assert instance.user_task().bpmn_element_id == "a"


def test_a_failing_output_mapping_keeps_the_activity_with_an_incident(scenario):
    xml = process(
        '<serviceTask id="a"><extensionElements><zeebe:taskDefinition type="work"/><zeebe:ioMapping>'
        '<zeebe:output source="=assert(r, r != null)" target="out"/></zeebe:ioMapping></extensionElements>'
        "</serviceTask>"
    )
    instance = scenario.start(scenario.deploy(xml, "p"))
    instance.complete_job("a")
    [incident] = instance.incidents()
    assert "assert" in incident.error or "r != null" in incident.error, incident.error
    instance.has_state("STARTED")
    assert "out" not in instance.variables()
