"""Camunda 7 and Flowable variable passing of call activities (``camunda:in``/``camunda:out``).

A call activity that carries any ``camunda:in`` or ``camunda:out`` passes exactly what they name,
in each direction on its own, as Camunda 7 does: with no ``camunda:in`` the called instance starts
without variables, with no ``camunda:out`` nothing comes back.

- ``source="x" target="y"``: the variable ``x`` (null when it is not set) as ``y``;
- ``sourceExpression="${…}" target="y"``: the value of the expression, evaluated in the call
  activity's scope for ``in`` and over the called instance's variables for ``out``; read as a
  Camunda 7 parameter is: a text mixing ``${…}`` parts is a string template, one without a
  constant string;
- ``variables="all"``: every variable, as it is named;
- ``local="true"`` on ``in``: only the call activity's own variables (its input parameters); on
  ``out``: the values become variables of the call activity itself, not of the caller's scopes.

An ``out`` is set where the caller's scope chain already holds the name, else on the process
(``Step.propagate_variable``), as Camunda 7's ``setVariable`` does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.expressions import ExpressionError, evaluate, is_expression, template_parts, to_json
from engine.model import Mapping_
from engine.model.elements import CallVariable, CallVariables, Parameter
from engine.runtime import mappings
from engine.runtime.conditions import EvaluationError
from engine.runtime.instances import ElementInstance
from engine.runtime.step import Step
from engine.variables import VariableChange, from_value


def ins(step: Step, ei: ElementInstance, passing: CallVariables) -> tuple[VariableChange, ...]:
    """The variables the called instance starts with (EvaluationError if an expression fails)."""
    visible = step.variables_for(ei)
    local = step.local_variables(ei)
    values: dict[str, Any] = {}
    for variable in passing.ins:
        source = local if variable.local else visible
        if variable.all:
            values.update(source)
        elif variable.source is not None:
            values[_target(variable)] = source.get(variable.source)
        else:
            values[_target(variable)] = mappings.evaluate(step, ei, _as_mapping(variable))
    return tuple(VariableChange(name, from_value(value)) for name, value in values.items())


def business_key(step: Step, ei: ElementInstance, passing: CallVariables) -> str | None:
    """The called instance's correlation key: the caller's, or the ``businessKey`` read as a
    Camunda 7 parameter (a constant, an expression or a string template); none without one."""
    if passing.business_key_from_caller:
        return step.instance.correlation_key
    if passing.business_key is None:
        return None
    text = passing.business_key
    value = mappings.evaluate(step, ei, Mapping_(source=text, target="", value=Parameter("text", text)))
    return None if value is None else str(value)


def outs(step: Step, ei: ElementInstance, passing: CallVariables, child_variables: Mapping[str, Any]) -> None:
    """Set what comes back from the completed called instance (EvaluationError if one fails).

    Every value is evaluated before any is set, so a failing expression changes nothing.
    """
    results: list[tuple[CallVariable, str, Any]] = []
    for variable in passing.outs:
        if variable.all:
            results.extend((variable, name, value) for name, value in child_variables.items())
        elif variable.source is not None:
            results.append((variable, _target(variable), child_variables.get(variable.source)))
        else:
            results.append((variable, _target(variable), _evaluate_over(child_variables, variable, ei)))
    for variable, name, value in results:
        if variable.local:
            step.set_variable(ei, name, value)
        else:
            step.propagate_variable(ei, name, value)


def _target(variable: CallVariable) -> str:
    assert variable.target is not None  # the parser requires one for source and sourceExpression
    return variable.target


def _as_mapping(variable: CallVariable) -> Mapping_:
    """A ``sourceExpression`` read the way Camunda 7 parameters are (engine.runtime.mappings)."""
    text = variable.source_expression or ""
    return Mapping_(source=text, target=_target(variable), value=Parameter("text", text))


def _evaluate_over(variables: Mapping[str, Any], variable: CallVariable, ei: ElementInstance) -> Any:
    """A ``sourceExpression`` over the called instance's variables: a whole expression, a string
    template or a constant, as :func:`engine.runtime.mappings.evaluate` reads a parameter."""
    text = variable.source_expression or ""
    if is_expression(text):
        return _value(text, variables, ei)
    pieces = []
    for is_part, part in template_parts(text):
        value = _value(part, variables, ei) if is_part else part
        pieces.append("" if value is None else mappings.as_text(value))
    return "".join(pieces)


def _value(expression: str, variables: Mapping[str, Any], ei: ElementInstance) -> Any:
    try:
        return to_json(evaluate(expression, variables))
    except ExpressionError as exc:
        raise EvaluationError(expression, ei.element.id, exc.reason) from exc
