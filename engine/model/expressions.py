"""Compiling the expressions of a process model when it is deployed.

An expression that can never be evaluated (a syntax error, an unknown function, source text
beyond the length or nesting limits of :mod:`engine.expressions.limits`) is refused at
deployment, one cause per expression naming the element, the attribute and the compiler's
reason, instead of becoming an incident when an instance first reaches it.

Compiled is exactly what the runtime evaluates, as it evaluates it:

- sequence-flow ``conditionExpression``\\ s, always (bare text is FEEL);
- input and output mappings of every activity, always (a bare source is a FEEL path; in a Camunda
  7 parameter, each whole ``${…}`` and each ``${…}`` part of a text template, constants aside);
- when they are expressions (a leading ``=`` or a whole ``${…}``): timer ``timeDate``,
  ``timeDuration`` and ``timeCycle``; the message correlation key (``zeebe:subscription
  correlationKey``) of message catch and boundary events; a call activity's ``calledElement``;
  a user task's assignee, candidate users and groups, due date, follow-up date and priority;
- a ``camunda:in``/``camunda:out`` ``sourceExpression`` and a ``camunda:in`` ``businessKey`` (other
  than the caller's own key): a whole ``${…}``, or each part of a text template; a constant is a
  string.

Literal values (a fixed duration, a user id) are not expressions and stay as they are. Job
retries and headers, and the correlation keys of message start and throw events are not
evaluated by the engine, so they are not compiled either. A mapping's target must be a variable
name (or a dotted path of names, ``a.b``), as the variables API requires; a ``camunda:in``/``out``
target a variable name.
"""

from __future__ import annotations

from collections.abc import Iterator

from engine.errors import ErrorCause
from engine.expressions import FEEL, ExpressionError, compile_expression, is_expression, template_parts
from engine.model.causes import EXPRESSION, at_line, describe, element_pointer
from engine.model.elements import Element, ElementType, Parameter, ProcessModel, Timer
from engine.variables import NAME_PATTERN

# Element types whose model correlation key the runtime evaluates when the event is armed.
_CORRELATING = frozenset({ElementType.MESSAGE_CATCH_EVENT, ElementType.MESSAGE_BOUNDARY_EVENT})


def expression_causes(process: ProcessModel, *, reported: frozenset[str] = frozenset()) -> list[ErrorCause]:
    """A cause for each expression of the process that does not compile; empty when all do.

    ``reported`` are the pointers of causes the parser already found: the condition of a flow
    among them (one in an unsupported language) is not compiled, so that it is reported once.
    """
    causes: list[ErrorCause] = []
    for flow in process.flows.values():
        pointer = element_pointer(process.id, flow.id)
        if flow.condition is None or pointer in reported:
            continue
        problem = _problem(flow.condition, flow.language or process.expression_language)
        if problem:
            causes.append(
                ErrorCause(
                    pointer=pointer,
                    type=EXPRESSION,
                    detail=f"sequence flow {flow.id} has an invalid conditionExpression: {problem}{at_line(flow.line)}",
                )
            )
    for element in process.elements.values():
        for attribute_name, text in _expressions(element):
            problem = _problem(text, process.expression_language)
            if problem:
                causes.append(
                    ErrorCause(
                        pointer=element_pointer(process.id, element.id),
                        type=EXPRESSION,
                        detail=f"{describe(element, process.elements)} has an invalid {attribute_name} expression: "
                        f"{problem}{at_line(element.line)}",
                    )
                )
    return causes + _target_causes(process)


def timer_problem(timer: Timer) -> str | None:
    """Why an expression of a timer does not compile (``timeDuration: <reason>``); None when it does.

    Literal timer values are not checked here (see ``engine.runtime.timers.validate``).
    """
    for attribute_name, text in _timer_expressions(timer):
        problem = _problem(text)
        if problem:
            return f"{attribute_name}: {problem}"
    return None


def _problem(text: str, dialect: str = FEEL) -> str | None:
    try:
        compile_expression(text, dialect)
    except ExpressionError as exc:
        return str(exc)
    return None


def _expressions(element: Element) -> Iterator[tuple[str, str]]:
    """(attribute, expression text as the runtime compiles it) for each expression of an element."""
    event = element.event
    if event is not None and event.timer is not None:
        yield from _timer_expressions(event.timer)
    if event is not None and element.type in _CORRELATING and event.correlation_key is not None:
        yield from _if_expression("correlationKey", event.correlation_key)
    if element.type is ElementType.CALL_ACTIVITY and element.called_element is not None:
        yield from _if_expression("calledElement", element.called_element)
    for kind, mappings in (("input", element.inputs), ("output", element.outputs)):
        for mapping in mappings:
            what = f"{kind} mapping (target {mapping.target})"
            if mapping.value is None:
                yield what, _mapping_expression(mapping.source)
            else:
                yield from _parameter_expressions(what, mapping.value)
    calls = element.call_variables
    if calls is not None:
        for direction, variables in (("camunda:in", calls.ins), ("camunda:out", calls.outs)):
            for variable in variables:
                if variable.source_expression is not None:
                    what = f"{direction} sourceExpression (target {variable.target})"
                    yield from _parameter_expressions(what, Parameter("text", variable.source_expression))
        if calls.business_key is not None:
            yield from _parameter_expressions("camunda:in businessKey", Parameter("text", calls.business_key))
    assignment = element.assignment
    if assignment is not None:
        yield from _if_expression("assignee", assignment.assignee)
        for user in assignment.candidate_users:
            yield from _if_expression("candidateUsers", user)
        for group in assignment.candidate_groups:
            yield from _if_expression("candidateGroups", group)
        yield from _if_expression("dueDate", assignment.due_date)
        yield from _if_expression("followUpDate", assignment.follow_up_date)
        yield from _if_expression("priority", assignment.priority)


def _parameter_expressions(what: str, value: Parameter) -> Iterator[tuple[str, str]]:
    """The expressions of a Camunda 7 parameter: whole ``${…}`` texts and template parts."""
    if value.kind != "text":
        for _, item in value.items:
            yield from _parameter_expressions(what, item)
    elif is_expression(value.text):
        yield what, value.text
    else:
        for is_part, part in template_parts(value.text):
            if is_part:
                yield what, part


def _target_causes(process: ProcessModel) -> list[ErrorCause]:
    """A cause for each mapping target that is not a variable name (or a dotted path of names)."""
    causes: list[ErrorCause] = []
    for element in process.elements.values():
        calls = element.call_variables
        if calls is not None:
            for variable in (*calls.ins, *calls.outs):
                if variable.target is None or NAME_PATTERN.match(variable.target):
                    continue
                causes.append(
                    ErrorCause(
                        pointer=element_pointer(process.id, element.id),
                        type=EXPRESSION,
                        detail=f"{describe(element, process.elements)} passes a variable as {variable.target!r}, "
                        f"which is not a variable name: names match {NAME_PATTERN.pattern}{at_line(element.line)}",
                    )
                )
        for kind, mappings in (("input", element.inputs), ("output", element.outputs)):
            for mapping in mappings:
                if all(NAME_PATTERN.match(part) for part in mapping.target.split(".")):
                    continue
                causes.append(
                    ErrorCause(
                        pointer=element_pointer(process.id, element.id),
                        type=EXPRESSION,
                        detail=f"{describe(element, process.elements)} has an {kind} mapping whose target "
                        f"{mapping.target!r} is not a variable name: names match {NAME_PATTERN.pattern}, "
                        f"joined by dots for a member of an object{at_line(element.line)}",
                    )
                )
    return causes


def _timer_expressions(timer: Timer) -> Iterator[tuple[str, str]]:
    yield from _if_expression("timeDate", timer.time_date)
    yield from _if_expression("timeDuration", timer.time_duration)
    yield from _if_expression("timeCycle", timer.time_cycle)


def _if_expression(attribute_name: str, text: str | None) -> Iterator[tuple[str, str]]:
    # The runtime's test (conditions.value_or_expression): anything else is a literal value.
    if text is not None and is_expression(text):
        yield attribute_name, text


def _mapping_expression(source: str) -> str:
    # As engine.runtime.calls reads a mapping source: a bare name is a FEEL path.
    return source if source.startswith(("=", "${", "#{")) else "=" + source
