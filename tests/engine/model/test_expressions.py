"""Deploy-time compilation: every expression the runtime evaluates is compiled, literals are left alone."""

from __future__ import annotations

import pytest

from engine.errors import EngineError, ErrorCause, ErrorKind
from engine.model import ProcessModel, Timer, parse_definitions
from engine.model.expressions import timer_problem
from tests.conftest import HOSTILE_EXPRESSIONS

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
ZEEBE = "http://camunda.org/schema/zeebe/1.0"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"

# Expressions the compiler refuses: they must never reach an instance.
HOSTILE = HOSTILE_EXPRESSIONS


def bpmn(body: str, *, roots: str = "") -> str:
    """A document with one executable process ``p``."""
    return (
        f'<definitions xmlns="{BPMN}" xmlns:zeebe="{ZEEBE}" xmlns:camunda="{CAMUNDA}" id="d">'
        f'<process id="p" isExecutable="true">{body}</process>{roots}</definitions>'
    )


def deployed(xml: str) -> ProcessModel:
    process = parse_definitions(xml, compile_expressions=True).process("p")
    assert process is not None
    return process


def refused(xml: str) -> list[ErrorCause]:
    with pytest.raises(EngineError) as info:
        parse_definitions(xml, compile_expressions=True)
    assert info.value.kind is ErrorKind.PROCESS_MODEL
    return info.value.causes


def attr(value: str) -> str:
    """``value`` as the text of an XML attribute."""
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def condition(expression: str) -> str:
    return (
        '<exclusiveGateway id="g" default="other"/><endEvent id="yes"/><endEvent id="no"/>'
        '<sequenceFlow id="taken" sourceRef="g" targetRef="yes">'
        f"<conditionExpression><![CDATA[{expression}]]></conditionExpression></sequenceFlow>"
        '<sequenceFlow id="other" sourceRef="g" targetRef="no"/>'
    )


def timer(tag: str, expression: str) -> str:
    return (
        f'<intermediateCatchEvent id="wait"><timerEventDefinition><{tag}><![CDATA[{expression}]]></{tag}>'
        "</timerEventDefinition></intermediateCatchEvent>"
    )


def correlation_key(expression: str) -> tuple[str, str]:
    body = '<intermediateCatchEvent id="wait"><messageEventDefinition messageRef="m"/></intermediateCatchEvent>'
    roots = (
        f'<message id="m" name="paid"><extensionElements><zeebe:subscription correlationKey="{attr(expression)}"/>'
        "</extensionElements></message>"
    )
    return body, roots


def call_activity(attributes: str = 'calledElement="child"', mappings: str = "") -> str:
    return (
        f'<callActivity id="call" {attributes}><extensionElements><zeebe:ioMapping>{mappings}</zeebe:ioMapping>'
        "</extensionElements></callActivity>"
    )


def user_task(extension: str) -> str:
    return f'<userTask id="review"><extensionElements>{extension}</extensionElements></userTask>'


# (element id, attribute named in the cause, body and roots of the model) for each expression site.
SITES = {
    "condition": ("taken", "conditionExpression", lambda e: (condition(e), "")),
    "timeDate": ("wait", "timeDate", lambda e: (timer("timeDate", e), "")),
    "timeDuration": ("wait", "timeDuration", lambda e: (timer("timeDuration", e), "")),
    "timeCycle": ("wait", "timeCycle", lambda e: (timer("timeCycle", e), "")),
    "correlationKey": ("wait", "correlationKey", correlation_key),
    "calledElement": ("call", "calledElement", lambda e: (call_activity(f'calledElement="{attr(e)}"'), "")),
    "input": (
        "call",
        "input mapping (target a)",
        lambda e: (call_activity(mappings=f'<zeebe:input source="{attr(e)}" target="a"/>'), ""),
    ),
    "output": (
        "call",
        "output mapping (target b)",
        lambda e: (call_activity(mappings=f'<zeebe:output source="{attr(e)}" target="b"/>'), ""),
    ),
    "assignee": (
        "review",
        "assignee",
        lambda e: (user_task(f'<zeebe:assignmentDefinition assignee="{attr(e)}"/>'), ""),
    ),
    "candidateUsers": (
        "review",
        "candidateUsers",
        lambda e: (user_task(f'<zeebe:assignmentDefinition candidateUsers="{attr(e)}"/>'), ""),
    ),
    "candidateGroups": (
        "review",
        "candidateGroups",
        lambda e: (user_task(f'<zeebe:assignmentDefinition candidateGroups="{attr(e)}"/>'), ""),
    ),
    "dueDate": ("review", "dueDate", lambda e: (user_task(f'<zeebe:taskSchedule dueDate="{attr(e)}"/>'), "")),
    "followUpDate": (
        "review",
        "followUpDate",
        lambda e: (user_task(f'<zeebe:taskSchedule followUpDate="{attr(e)}"/>'), ""),
    ),
    "priority": (
        "review",
        "priority",
        lambda e: (user_task(f'<zeebe:priorityDefinition priority="{attr(e)}"/>'), ""),
    ),
}


@pytest.mark.parametrize("site", sorted(SITES))
@pytest.mark.parametrize("hostile", sorted(HOSTILE))
def test_hostile_expressions_are_refused_naming_element_and_attribute(site: str, hostile: str) -> None:
    element_id, attribute_name, build = SITES[site]
    body, roots = build(HOSTILE[hostile])
    [cause] = refused(bpmn(body, roots=roots))
    assert (cause.pointer, cause.type) == (f"#/p/{element_id}", "expression")
    assert element_id in cause.detail and f"has an invalid {attribute_name}" in cause.detail


def test_the_cause_gives_the_compilers_reason_and_the_line() -> None:
    [cause] = refused(bpmn("\n" + user_task('<zeebe:assignmentDefinition assignee="=__import__(&quot;os&quot;)"/>')))
    assert cause.detail == (
        "element review of type USER_TASK has an invalid assignee expression: unknown function '__import__'; "
        "only the built-in functions can be called at position 1 in expression '=__import__(\"os\")' (line 2)"
    )


def test_a_long_expression_is_shown_shortened() -> None:
    [cause] = refused(bpmn(condition(HOSTILE["long expression"])))
    assert "more than the limit of 4096" in cause.detail and len(cause.detail) < 400


def test_one_candidate_among_several_is_compiled_alone() -> None:
    xml = bpmn(user_task('<zeebe:assignmentDefinition candidateGroups="sales, ${un known}"/>'))
    [cause] = refused(xml)
    assert "invalid candidateGroups expression" in cause.detail and "un known" in cause.detail


@pytest.mark.parametrize(
    ("site", "expression"),
    [
        ("condition", "=order.amount > 100"),
        ("condition", "${order.amount > 100}"),
        ("condition", 'amount > 100 and country = "DE"'),
        ("timeDuration", '="PT" + string(seconds) + "S"'),
        ("timeDate", "${deadline}"),
        ("timeCycle", "=cycle"),
        ("correlationKey", "=order.id"),
        ("calledElement", '="child-" + kind'),
        ("input", "=order.amount * 2"),
        ("input", "order"),
        ("output", "${result}"),
        ("assignee", "=order.owner"),
        ("candidateUsers", '=["ann", "bob"]'),
        ("candidateGroups", "${groups}"),
        ("dueDate", "=order.due"),
        ("priority", "=if order.amount > 100 then 80 else 50"),
    ],
)
def test_valid_expressions_are_accepted(site: str, expression: str) -> None:
    body, roots = SITES[site][2](expression)
    deployed(bpmn(body, roots=roots))


@pytest.mark.parametrize(
    ("site", "literal"),
    [
        ("timeDuration", "PT5M"),
        ("timeDate", "2030-01-01T00:00:00Z"),
        ("timeCycle", "R3/PT10M"),
        ("timeCycle", "0 * * * *"),
        ("correlationKey", "order-42"),
        ("calledElement", "child:3"),
        ("assignee", "demo"),
        ("candidateUsers", "ann, bob"),
        ("candidateGroups", "sales, ops (berlin)"),
        ("dueDate", "2030-01-01T00:00:00Z"),
        ("followUpDate", "2030-01-01T00:00:00"),
        ("priority", "50"),
        # "${" without its closing brace is not an expression: the runtime keeps it as text
        ("assignee", "${not closed"),
    ],
)
def test_literal_values_are_not_compiled(site: str, literal: str) -> None:
    body, roots = SITES[site][2](literal)
    deployed(bpmn(body, roots=roots))


def test_camunda_7_and_standard_assignments_are_compiled() -> None:
    xml = bpmn(
        '<userTask id="c7" camunda:assignee="${a b}"/>'
        '<userTask id="std"><potentialOwner><resourceAssignmentExpression>'
        "<formalExpression>user(ann), ${(lambda: 1)()}</formalExpression>"
        "</resourceAssignmentExpression></potentialOwner></userTask>"
    )
    causes = refused(xml)
    assert [(c.pointer, "assignee" in c.detail, "candidateGroups" in c.detail) for c in causes] == [
        ("#/p/c7", True, False),
        ("#/p/std", False, True),
    ]


def test_expressions_the_engine_does_not_evaluate_are_not_compiled() -> None:
    # Job retries and the correlation key of a message start event are never evaluated by the
    # engine: Zeebe-only functions there deploy; a Camunda 7 text parameter is a constant.
    xml = bpmn(
        '<startEvent id="s"><messageEventDefinition messageRef="m"/></startEvent>'
        '<serviceTask id="t" camunda:type="external" camunda:topic="work"><extensionElements>'
        '<camunda:inputOutput><camunda:inputParameter name="greeting">Hello world</camunda:inputParameter>'
        "</camunda:inputOutput>"
        '<zeebe:taskDefinition type="work" retries="=now()"/>'
        "</extensionElements></serviceTask>",
        roots='<message id="m" name="go"><extensionElements><zeebe:subscription correlationKey="=now()"/>'
        "</extensionElements></message>",
    )
    deployed(xml)


def test_mappings_of_every_activity_are_compiled_since_the_engine_evaluates_them() -> None:
    xml = bpmn(
        '<serviceTask id="t"><extensionElements><zeebe:taskDefinition type="work"/>'
        '<zeebe:ioMapping><zeebe:input source="=now()" target="at"/></zeebe:ioMapping>'
        "</extensionElements></serviceTask>"
    )
    [cause] = refused(xml)
    assert cause.pointer == "#/p/t" and "input mapping (target at)" in cause.detail and "now" in cause.detail


def test_a_camunda_7_parameter_is_a_constant_a_template_or_an_expression_each_part_compiled() -> None:
    ok = bpmn(
        '<callActivity id="call" calledElement="child"><extensionElements><camunda:inputOutput>'
        '<camunda:inputParameter name="greeting">Hello ${name}</camunda:inputParameter>'
        '<camunda:inputParameter name="plain">Hello world</camunda:inputParameter>'
        "</camunda:inputOutput></extensionElements></callActivity>"
    )
    deployed(ok)
    bad = bpmn(
        '<userTask id="u"><extensionElements><camunda:inputOutput>'
        '<camunda:inputParameter name="items"><camunda:list><camunda:value>${a +}</camunda:value>'
        "</camunda:list></camunda:inputParameter>"
        "</camunda:inputOutput></extensionElements></userTask>"
    )
    [cause] = refused(bad)
    assert cause.pointer == "#/p/u" and "input mapping (target items)" in cause.detail


def test_a_mapping_target_must_be_a_variable_name() -> None:
    xml = bpmn(
        '<serviceTask id="t"><extensionElements><zeebe:taskDefinition type="work"/>'
        '<zeebe:ioMapping><zeebe:output source="=x" target="my value"/>'
        '<zeebe:output source="=x" target="order.total"/></zeebe:ioMapping>'
        "</extensionElements></serviceTask>"
    )
    [cause] = refused(xml)
    assert "'my value' is not a variable name" in cause.detail


def test_expressions_in_sub_processes_name_the_path() -> None:
    body = (
        '<subProcess id="sub"><startEvent id="s"/>'
        + timer("timeDuration", "=(lambda: 1)()")
        + '<sequenceFlow id="f" sourceRef="s" targetRef="wait"/></subProcess>'
    )
    [cause] = refused(bpmn(body))
    assert cause.pointer == "#/p/wait"
    assert cause.detail.startswith("element wait of type TIMER_CATCH_EVENT in sub-process sub has an invalid")


def test_expression_causes_come_with_the_structural_ones() -> None:
    xml = bpmn(condition("=(lambda: 1)()") + '<task id="t"/><sequenceFlow id="loose" sourceRef="t" targetRef="x"/>')
    assert [(c.pointer, c.type) for c in refused(xml)] == [("#/p/loose", "reference"), ("#/p/taken", "expression")]


def test_a_condition_in_an_unsupported_language_is_reported_once() -> None:
    xml = bpmn(
        '<exclusiveGateway id="g"/><task id="t"/><sequenceFlow id="f" sourceRef="g" targetRef="t">'
        '<conditionExpression language="javascript">a &gt; 1 &amp;&amp; b</conditionExpression></sequenceFlow>'
    )
    assert [(c.pointer, c.type) for c in refused(xml)] == [("#/p/f", "not_supported")]


def test_loading_a_stored_model_does_not_compile_its_expressions() -> None:
    # A version deployed before the check still loads; its bad expressions are incidents as before.
    assert parse_definitions(bpmn(condition(HOSTILE["dunder call"]))).process("p") is not None


def test_expressions_of_processes_that_are_not_executable_are_not_compiled() -> None:
    partner = '<process id="partner" isExecutable="false">' + timer("timeDuration", "=(lambda: 1)()") + "</process>"
    assert deployed(bpmn('<task id="t"/>', roots=partner)).id == "p"


@pytest.mark.parametrize(
    ("timer_value", "problem"),
    [
        (Timer(time_duration="PT5M"), None),
        (Timer(time_duration="=seconds"), None),
        (Timer(time_cycle="${(lambda: 1)()}"), "timeCycle: expected ')' to close '('"),
        (Timer(time_date='=__import__("os")'), "timeDate: unknown function '__import__'"),
    ],
)
def test_timer_problem_compiles_only_expressions(timer_value: Timer, problem: str | None) -> None:
    found = timer_problem(timer_value)
    assert found == problem if problem is None else found is not None and found.startswith(problem)
