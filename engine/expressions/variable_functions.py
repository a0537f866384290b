"""Functions over a process variable named in the expression, in JUEL only.

Flowable writes ``${variables:get(myVar)}``, ``${var:contains(items, 'a')}``… (prefixes
``variables``, ``vars`` and ``var``); the first argument is the variable's *name*, bare or quoted
(``var:get(myVar)`` is ``var:get('myVar')``). Camunda 7 writes ``${execution.getVariable('x')}``,
whose argument is any expression giving the name. Both compile to a
:class:`~engine.expressions.nodes.VariableFunction` evaluated by :func:`apply`.
"""

from __future__ import annotations

from collections.abc import Callable

from engine.expressions.limits import EvaluationBudget
from engine.expressions.methods import is_empty_value
from engine.expressions.values import compare, equal

# Canonical name → (fewest, most) arguments after the variable name; None: any number.
FUNCTIONS: dict[str, tuple[int, int | None]] = {
    "get": (0, 0),
    "getOrDefault": (1, 1),
    "exists": (0, 0),
    "isEmpty": (0, 0),
    "isNotEmpty": (0, 0),
    "equals": (1, 1),
    "notEquals": (1, 1),
    "contains": (1, None),
    "containsAny": (1, None),
    "lowerThan": (1, 1),
    "lowerThanOrEquals": (1, 1),
    "greaterThan": (1, 1),
    "greaterThanOrEquals": (1, 1),
}
"""Flowable's variable functions (``variables:base64`` is not provided)."""

ALIASES = {
    "empty": "isEmpty",
    "notEmpty": "isNotEmpty",
    "eq": "equals",
    "ne": "notEquals",
    "lt": "lowerThan",
    "lessThan": "lowerThan",
    "lte": "lowerThanOrEquals",
    "lessThanOrEquals": "lowerThanOrEquals",
    "gt": "greaterThan",
    "gte": "greaterThanOrEquals",
}
"""Other spellings Flowable accepts, by canonical name."""

EXECUTION_METHODS = {
    "getVariable": "get",
    "getVariableLocal": "get",
    "hasVariable": "exists",
    "hasVariableLocal": "exists",
}
"""Camunda's ``execution.…(name)`` methods that read variables, by the function they mean."""

_ORDER: dict[str, Callable[[int], bool]] = {
    "lowerThan": lambda order: order < 0,
    "lowerThanOrEquals": lambda order: order <= 0,
    "greaterThan": lambda order: order > 0,
    "greaterThanOrEquals": lambda order: order >= 0,
}


def canonical(function: str) -> str | None:
    """The canonical name of a Flowable variable function, or None when there is none such."""
    function = ALIASES.get(function, function)
    return function if function in FUNCTIONS else None


def apply(budget: EvaluationBudget, function: str, exists: bool, value: object, args: list[object]) -> object:
    """Evaluate ``function`` (canonical) on a variable that ``exists`` with ``value``.

    As in Flowable, a missing or null variable is never an error: it equals only null, is
    empty, contains nothing and compares as false.
    """
    if function == "get":
        return value
    if function == "getOrDefault":
        return args[0] if value is None else value
    if function == "exists":
        return exists
    if function == "isEmpty":
        return is_empty_value(value)
    if function == "isNotEmpty":
        return not is_empty_value(value)
    if function == "equals":
        return equal(value, args[0], budget) is True
    if function == "notEquals":
        return equal(value, args[0], budget) is not True
    if function in ("contains", "containsAny"):
        found = (_contains(budget, value, wanted) for wanted in args)
        return all(found) if function == "contains" else any(found)
    order = compare(value, args[0], budget)
    return order is not None and _ORDER[function](order)


def _contains(budget: EvaluationBudget, value: object, wanted: object) -> bool:
    if isinstance(value, str):
        budget.spend_characters(len(value))
        return isinstance(wanted, str) and wanted in value
    if isinstance(value, list):
        budget.spend(len(value))
        return any(equal(item, wanted, budget) is True for item in value)
    return False
