"""Evaluating sequence-flow conditions and other model expressions over instance variables.

A failed evaluation never aborts the step: the caller turns an :class:`EvaluationError` into an
incident that names the expression, the element and the reason.
"""

from __future__ import annotations

from typing import Any

from engine.expressions import ExpressionError, evaluate, is_expression, to_json
from engine.model import SequenceFlow
from engine.runtime.instances import ElementInstance
from engine.runtime.step import Step


class EvaluationError(Exception):
    """An expression of the model could not be evaluated."""

    def __init__(self, expression: str, element_id: str, reason: str) -> None:
        super().__init__(f"expression {expression!r} of element {element_id} failed: {reason}")
        self.expression = expression
        self.element_id = element_id
        self.reason = reason


def evaluate_expression(step: Step, ei: ElementInstance, expression: str, element_id: str | None = None) -> Any:
    """Evaluate an expression in the variable scope of ``ei``; return a JSON-ready value.

    Bare text is in the process's expression language (``engine.model.dialects``).
    """
    try:
        return to_json(evaluate(expression, step.variables_for(ei), step.process.model.expression_language))
    except ExpressionError as exc:
        raise EvaluationError(expression, element_id or ei.element.id, exc.reason) from exc


def value_or_expression(step: Step, ei: ElementInstance, text: str | None) -> Any:
    """A literal attribute value, or the value of an expression (``=...`` or ``${...}``)."""
    if text is None:
        return None
    if is_expression(text):
        return evaluate_expression(step, ei, text)
    return text


def is_taken(step: Step, ei: ElementInstance, flow: SequenceFlow) -> bool:
    """Whether a conditional flow is taken: its condition is true (null and false are not).

    A flow without a condition is always taken, as in Camunda 7.
    """
    if flow.condition is None:
        return True
    try:
        dialect = flow.language or step.process.model.expression_language
        value = evaluate(flow.condition, step.variables_for(ei), dialect)
    except ExpressionError as exc:
        raise EvaluationError(flow.condition, ei.element.id, f"sequence flow {flow.id}: {exc.reason}") from exc
    if value is None or value is False:
        return False
    if value is True:
        return True
    raise EvaluationError(
        flow.condition,
        ei.element.id,
        f"condition of sequence flow {flow.id} must be true, false or null, but is {_shown(value)}",
    )


def _shown(value: Any) -> str:
    try:
        return repr(to_json(value))
    except ExpressionError:  # a range, which has no JSON form
        return type(value).__name__
