"""Camunda 7 and Flowable extensions read onto elements: failed-job retry cycles, call activity
variables (``camunda:in``/``camunda:out``) and async flags."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.errors import EngineError, ErrorCause
from engine.model import ProcessModel, parse_definitions
from engine.model.elements import CallVariable, CallVariables
from engine.model.retry_cycles import RetryCycleError, parse_retry_cycle

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
ZEEBE = "http://camunda.org/schema/zeebe/1.0"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
FLOWABLE = "http://flowable.org/bpmn"


def bpmn(task: str) -> str:
    """A process ``p``: start → ``task`` (id ``a``) → end."""
    return (
        f'<definitions xmlns="{BPMN}" xmlns:zeebe="{ZEEBE}" xmlns:camunda="{CAMUNDA}" '
        f'xmlns:flowable="{FLOWABLE}" id="d"><process id="p" isExecutable="true"><startEvent id="s"/>'
        f'<sequenceFlow id="f0" sourceRef="s" targetRef="a"/>{task}'
        '<sequenceFlow id="f1" sourceRef="a" targetRef="e"/><endEvent id="e"/></process></definitions>'
    )


def process_of(xml: str) -> ProcessModel:
    process = parse_definitions(xml).process("p")
    assert process is not None
    return process


def causes_of(xml: str) -> list[ErrorCause]:
    with pytest.raises(EngineError) as info:
        parse_definitions(xml)
    return info.value.causes


def external(extensions: str, tag: str = "serviceTask", attributes: str = "") -> str:
    return bpmn(
        f'<{tag} id="a" camunda:type="external" camunda:topic="work" {attributes}>'
        f"<extensionElements>{extensions}</extensionElements></{tag}>"
    )


# --- failed-job retry cycles ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "retries", "delays"),
    [
        ("R5/PT10M", 4, [timedelta(minutes=10)]),  # 5 runs: the first and 4 retries (Camunda 7)
        (" R1/PT1S ", 0, [timedelta(seconds=1)]),
        ("R0/PT1S", 0, [timedelta(seconds=1)]),
        ("PT1M,PT5M, PT10M", 3, [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=10)]),
        ("PT5M", 1, [timedelta(minutes=5)]),
        ("R3/P1D", 2, [timedelta(days=1)]),
    ],
)
def test_retry_cycles_count_runs_and_delays_like_camunda_7(text: str, retries: int, delays: list) -> None:
    cycle = parse_retry_cycle(text)
    assert (cycle.retries, list(cycle.delays)) == (retries, delays)


def test_a_list_gives_each_retry_its_delay_and_the_last_one_after_it() -> None:
    cycle = parse_retry_cycle("PT1M,PT5M")
    assert [cycle.delay(n) for n in range(3)] == [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=5)]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "is empty"),
        ("R/PT5M", "repeats without end"),
        ("Rx/PT5M", '"x" where the number of runs'),
        ("R5", "R<n>/<duration>"),
        ("R5/10 minutes", "not an ISO 8601 duration"),
        ("PT1M,,PT2M", "not an ISO 8601 duration"),
        ("5M", "not an ISO 8601 duration"),
        ("-PT5M", "not an ISO 8601 duration"),
        ("P100Y", "between PT0S and 10 years"),
        ("R1001/PT1S", "more than 1000 times"),
        ("${cycle}", "is an expression"),
    ],
)
def test_bad_retry_cycles_say_why(text: str, words: str) -> None:
    with pytest.raises(RetryCycleError, match=words.replace("(", r"\(").replace(")", r"\)")):
        parse_retry_cycle(text)


def test_camunda_retry_cycle_sets_the_job_retries() -> None:
    element = process_of(
        external("<camunda:failedJobRetryTimeCycle>R5/PT10M</camunda:failedJobRetryTimeCycle>")
    ).elements["a"]
    assert element.job_retries == 4
    assert element.retry_cycle is not None and element.retry_cycle.text == "R5/PT10M"


@pytest.mark.parametrize("tag", ["sendTask", "businessRuleTask", "scriptTask"])
def test_flowable_retry_cycle_is_read_on_every_job_task(tag: str) -> None:
    element = process_of(
        external("<flowable:failedJobRetryTimeCycle>PT1M,PT2M</flowable:failedJobRetryTimeCycle>", tag)
    ).elements["a"]
    assert element.job_retries == 2
    assert element.retry_cycle is not None and element.retry_cycle.delays[1] == timedelta(minutes=2)


def test_zeebe_retries_win_over_the_cycle_which_still_gives_the_delays() -> None:
    element = process_of(
        bpmn(
            '<serviceTask id="a"><extensionElements><zeebe:taskDefinition type="work" retries="7"/>'
            "<camunda:failedJobRetryTimeCycle>R2/PT3M</camunda:failedJobRetryTimeCycle>"
            "</extensionElements></serviceTask>"
        )
    ).elements["a"]
    assert element.job_retries == 7
    assert element.retry_cycle is not None and element.retry_cycle.delay(5) == timedelta(minutes=3)


def test_a_bad_retry_cycle_is_a_cause_naming_the_element_and_the_value() -> None:
    [cause] = causes_of(external("<camunda:failedJobRetryTimeCycle>R5/PT10X</camunda:failedJobRetryTimeCycle>"))
    assert cause.pointer == "#/p/a"
    assert "element a " in cause.detail and '"R5/PT10X"' in cause.detail
    assert "camunda:failedJobRetryTimeCycle" in cause.detail


def test_two_retry_cycles_are_a_cause() -> None:
    [cause] = causes_of(
        external(
            "<camunda:failedJobRetryTimeCycle>R2/PT1M</camunda:failedJobRetryTimeCycle>"
            "<camunda:failedJobRetryTimeCycle>R3/PT1M</camunda:failedJobRetryTimeCycle>"
        )
    )
    assert "given 2 times" in cause.detail


# --- call activity variables ------------------------------------------------------------------------


def call(extensions: str) -> str:
    return bpmn(
        f'<callActivity id="a" calledElement="c"><extensionElements>{extensions}</extensionElements></callActivity>'
    )


def test_camunda_in_and_out_are_read_in_order() -> None:
    passing = (
        process_of(
            call(
                '<camunda:in source="a" target="b"/><camunda:in sourceExpression="${x}" target="y" local="true"/>'
                '<camunda:in variables="all"/><camunda:out source="r" target="s"/>'
                '<camunda:out variables="all" local="1"/>'
            )
        )
        .elements["a"]
        .call_variables
    )
    assert passing == CallVariables(
        ins=(
            CallVariable(target="b", source="a"),
            CallVariable(target="y", source_expression="${x}", local=True),
            CallVariable(all=True),
        ),
        outs=(CallVariable(target="s", source="r"), CallVariable(all=True, local=True)),
    )


def test_a_call_activity_without_in_or_out_passes_variables_the_zeebe_way() -> None:
    assert process_of(call("")).elements["a"].call_variables is None


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("#{execution.processBusinessKey}", CallVariables(business_key_from_caller=True)),
        ("${ execution.getProcessBusinessKey() }", CallVariables(business_key_from_caller=True)),
        ("${orderId}", CallVariables(business_key="${orderId}")),
    ],
)
def test_business_key_of_camunda_in(key: str, expected: CallVariables) -> None:
    element = process_of(call(f'<camunda:in businessKey="{key}"/>')).elements["a"]
    assert element.call_variables == expected


def test_flowable_in_and_out_are_read_like_camunda_ones() -> None:
    passing = (
        process_of(call('<flowable:in source="a" target="b"/><flowable:out source="c" target="d"/>'))
        .elements["a"]
        .call_variables
    )
    assert passing is not None and passing.ins[0].source == "a" and passing.outs[0].target == "d"


def test_two_business_keys_are_a_cause() -> None:
    [cause] = causes_of(call('<camunda:in businessKey="${a}"/><camunda:in businessKey="${b}"/>'))
    assert "give it once" in cause.detail


# --- async flags -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attributes", "before", "after"),
    [
        ('camunda:asyncBefore="true"', True, False),
        ('camunda:asyncAfter="true"', False, True),
        ('camunda:async="true" camunda:asyncAfter="1"', True, True),
        ('flowable:async="true"', True, False),
        ('camunda:asyncBefore="false"', False, False),
        ("", False, False),
    ],
)
def test_async_flags_are_read_onto_the_element(attributes: str, before: bool, after: bool) -> None:
    element = process_of(external("", attributes=attributes)).elements["a"]
    assert (element.async_before, element.async_after) == (before, after)


def test_async_flags_are_read_on_gateways_and_events_too() -> None:
    model = process_of(bpmn('<exclusiveGateway id="a" camunda:asyncAfter="true"/>'))
    assert model.elements["a"].async_after and model.elements["e"].async_before is False


def test_an_async_flag_that_is_not_a_boolean_is_a_cause() -> None:
    [cause] = causes_of(external("", attributes='camunda:asyncBefore="yes"'))
    assert cause.pointer == "#/p/a" and 'camunda:asyncBefore "yes" is not true or false' in cause.detail
