"""Variables between a caller and the instance it calls: Camunda 7 / Flowable ``in``/``out``
(only what they name crosses) and the Zeebe way (everything, unless mapped or switched off)."""

from __future__ import annotations

import pytest

from engine.errors import EngineError

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
ZEEBE = "http://camunda.org/schema/zeebe/1.0"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
FLOWABLE = "http://flowable.org/bpmn"

CHILD = (
    f'<definitions xmlns="{BPMN}" xmlns:camunda="{CAMUNDA}" id="c"><process id="child" isExecutable="true">'
    '<startEvent id="cs"/><sequenceFlow id="c0" sourceRef="cs" targetRef="work"/>'
    '<serviceTask id="work" camunda:type="external" camunda:topic="child-work"/>'
    '<sequenceFlow id="c1" sourceRef="work" targetRef="ce"/><endEvent id="ce"/></process></definitions>'
)


def caller(call: str) -> str:
    return (
        f'<definitions xmlns="{BPMN}" xmlns:zeebe="{ZEEBE}" xmlns:camunda="{CAMUNDA}" xmlns:flowable="{FLOWABLE}" '
        'id="d"><process id="p" isExecutable="true"><startEvent id="s"/>'
        f'<sequenceFlow id="f0" sourceRef="s" targetRef="call"/>{call}'
        '<sequenceFlow id="f1" sourceRef="call" targetRef="after"/>'
        '<serviceTask id="after" camunda:type="external" camunda:topic="after"/>'
        '<sequenceFlow id="f2" sourceRef="after" targetRef="e"/><endEvent id="e"/></process></definitions>'
    )


def call_activity(extensions: str, attributes: str = "") -> str:
    return (
        f'<callActivity id="call" calledElement="child" {attributes}>'
        f"<extensionElements>{extensions}</extensionElements></callActivity>"
    )


def run(
    scenario, extensions: str, values: dict, child_result: dict, *, correlation_key: str | None = None, version="1"
):
    """Start the caller, let the child set ``child_result`` and complete; the caller then waits at
    ``after``. Returns (caller, child variables at start, child)."""
    scenario.deploy(CHILD, "child")
    process = scenario.deploy(caller(call_activity(extensions)), "p", version=version)
    instance = scenario.start(process, values, correlation_key=correlation_key)
    [child] = instance.children()
    child.execute_tasks()
    started_with = child.variables()
    child.complete_job("work", process_variables=child_result)
    child.is_completed()
    instance.execute_tasks()
    instance.is_waiting_at("after")
    return instance, started_with, child


def test_camunda_in_and_out_pass_only_what_they_name(scenario):
    instance, started_with, _ = run(
        scenario,
        '<camunda:in source="order" target="order"/><camunda:in sourceExpression="${amount * 2}" target="doubled"/>'
        '<camunda:in sourceExpression="Dear ${name}" target="greeting"/><camunda:in source="missing" target="nothing"/>'
        '<camunda:out source="result" target="outcome"/><camunda:out sourceExpression="${result + 1}" target="next"/>'
        '<camunda:out sourceExpression="got ${result}" target="note"/>',
        {"order": {"id": 7}, "amount": 21, "name": "Ann", "secret": "s"},
        {"result": 5, "noise": "n"},
    )
    assert started_with == {"order": {"id": 7}, "doubled": 42, "greeting": "Dear Ann", "nothing": None}
    assert instance.variables() == {
        "order": {"id": 7},
        "amount": 21,
        "name": "Ann",
        "secret": "s",
        "outcome": 5,
        "next": 6,
        "note": "got 5",
    }


def test_variables_all_copies_everything_both_ways(scenario):
    instance, started_with, _ = run(
        scenario,
        '<camunda:in variables="all"/><camunda:out variables="all"/>',
        {"a": 1, "b": "x"},
        {"c": True},
    )
    assert started_with == {"a": 1, "b": "x"}
    assert instance.variables() == {"a": 1, "b": "x", "c": True}


def test_without_camunda_in_the_called_instance_starts_empty_and_without_out_nothing_returns(scenario):
    instance, started_with, _ = run(scenario, '<camunda:out source="c" target="c"/>', {"a": 1}, {"c": 2, "d": 3})
    assert started_with == {}
    assert instance.variables() == {"a": 1, "c": 2}
    instance, started_with, _ = run(scenario, '<camunda:in source="a" target="a"/>', {"a": 1}, {"c": 2}, version="2")
    assert started_with == {"a": 1}
    assert instance.variables() == {"a": 1}


def test_local_in_passes_only_the_call_activitys_own_input_parameters(scenario):
    instance, started_with, _ = run(
        scenario,
        '<camunda:inputOutput><camunda:inputParameter name="limit">${amount + 1}</camunda:inputParameter>'
        '</camunda:inputOutput><camunda:in variables="all" local="true"/>',
        {"amount": 9},
        {},
    )
    assert started_with == {"limit": 10}
    assert "limit" not in instance.variables()


def test_flowable_in_and_out_are_read_the_same(scenario):
    instance, started_with, _ = run(
        scenario,
        '<flowable:in source="a" target="x"/><flowable:out source="y" target="b"/>',
        {"a": 1},
        {"y": 2},
    )
    assert started_with == {"x": 1}
    assert instance.variables() == {"a": 1, "b": 2}


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ('<camunda:in businessKey="#{execution.processBusinessKey}"/>', "order-1"),
        ('<camunda:in businessKey="${orderId}-child" source="orderId" target="orderId"/>', "A1-child"),
        ('<camunda:in source="orderId" target="orderId"/>', None),
    ],
)
def test_business_key_is_the_callers_correlation_key_or_the_expressions_value(scenario, key, expected):
    _, _, child = run(scenario, key, {"orderId": "A1"}, {}, correlation_key="order-1")
    assert child.get().correlation_key == expected


def test_a_failing_source_expression_is_an_incident_on_the_call_activity(scenario):
    scenario.deploy(CHILD, "child")
    xml = caller(call_activity('<camunda:in sourceExpression="${n.toUpperCase()}" target="t"/>'))
    instance = scenario.start(scenario.deploy(xml, "p"), {"n": 1})
    [incident] = instance.incidents()
    assert instance.children() == []
    assert "toUpperCase" in incident.error


def test_zeebe_calls_copy_everything_back_unless_propagation_is_switched_off(scenario):
    scenario.deploy(CHILD, "child")
    for flag, expected in (("true", {"a": 1, "c": 2}), ("false", {"a": 1})):
        xml = caller(
            '<callActivity id="call"><extensionElements>'
            f'<zeebe:calledElement processId="child" propagateAllChildVariables="{flag}"/>'
            "</extensionElements></callActivity>"
        )
        instance = scenario.start(scenario.deploy(xml, "p", version=flag), {"a": 1})
        [child] = instance.children()
        child.execute_tasks()
        assert child.variables() == {"a": 1}
        child.complete_job("work", process_variables={"c": 2})
        instance.execute_tasks()
        instance.is_waiting_at("after")
        assert instance.variables() == expected


@pytest.mark.parametrize(
    ("extensions", "words"),
    [
        ('<camunda:in source="a"/>', 'camunda:in with source "a" has no target'),
        ('<camunda:out target="b"/>', "camunda:out needs exactly one of source"),
        ('<camunda:in source="a" sourceExpression="${a}" target="b"/>', "needs exactly one of source"),
        ('<camunda:in variables="some"/>', 'variables "some" is not "all"'),
        ('<camunda:in variables="all" local="maybe"/>', 'local "maybe" is not true or false'),
        ('<camunda:in sourceExpression="${a +}" target="b"/>', "camunda:in sourceExpression (target b)"),
        ('<camunda:in source="a" target="no good"/>', "'no good', which is not a variable name"),
    ],
)
def test_bad_in_and_out_are_deploy_causes_naming_the_call_activity(scenario, extensions, words):
    with pytest.raises(EngineError) as info:
        scenario.deploy(caller(call_activity(extensions)), "p")
    [cause] = info.value.causes
    assert cause.pointer == "#/p/call"
    assert words in cause.detail
