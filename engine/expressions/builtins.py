"""The table of built-in functions: the only functions an expression can call.

A call names a function of this table, statically: an unknown name or a wrong number of
arguments is an error when the expression is compiled, not when it runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from engine.expressions import list_functions, number_functions, string_functions
from engine.expressions.limits import EvaluationBudget

Function = Callable[[EvaluationBudget, list[object]], object]

IS_DEFINED = "is defined"
"""Evaluated by the evaluator itself: its argument is looked up, not evaluated to a value."""


@dataclass(frozen=True)
class Builtin:
    """A built-in function: its name, how many arguments it takes, and its implementation."""

    name: str
    min_arguments: int
    max_arguments: int | None  # None: any number
    function: Function

    def accepts(self, count: int) -> bool:
        """Whether a call with ``count`` arguments is valid."""
        return count >= self.min_arguments and (self.max_arguments is None or count <= self.max_arguments)

    def arity(self) -> str:
        """The accepted number of arguments, in words."""
        low, high = self.min_arguments, self.max_arguments
        plural = "" if (high if high is not None else low) == 1 else "s"
        if high is None:
            return f"at least {low} argument{plural}"
        if low == high:
            return f"{low} argument{plural}"
        return f"{low} to {high} arguments"


def negate(budget: EvaluationBudget, args: list[object]) -> object:
    """``not(b)``: null for anything but a boolean."""
    return not args[0] if isinstance(args[0], bool) else None


def is_defined(budget: EvaluationBudget, args: list[object]) -> object:
    """Placeholder: ``is defined`` is evaluated by the evaluator (see ``IS_DEFINED``)."""
    raise AssertionError("is defined() is evaluated by the evaluator")


def get_value(budget: EvaluationBudget, args: list[object]) -> object:
    """``get value(context, key)``: the member named by a string computed at runtime."""
    context, key = args
    if not (isinstance(context, dict) and isinstance(key, str)):
        return None
    return context.get(key)


def get_entries(budget: EvaluationBudget, args: list[object]) -> object:
    """``get entries(context)``: a list of ``{key, value}`` contexts, in order."""
    context = args[0]
    if not isinstance(context, dict):
        return None
    budget.spend(len(context))
    return [{"key": key, "value": value} for key, value in context.items()]


def assert_that(budget: EvaluationBudget, args: list[object]) -> object:
    """``assert(value, condition[, cause])`` (Camunda 8): ``value`` when the condition is true.

    Otherwise the evaluation fails (an incident), with ``cause`` as the reason when it is given.
    """
    if args[1] is True:
        return args[0]
    cause = args[2] if len(args) > 2 else None
    if isinstance(cause, str) and cause:
        budget.fail(f"assertion failed: {cause[:500]}")
    budget.fail("assertion failed: the condition of assert() is not true")


_OWN: dict[str, tuple[int, int | None, Function]] = {
    "not": (1, 1, negate),
    IS_DEFINED: (1, 1, is_defined),
    "get value": (2, 2, get_value),
    "get entries": (1, 1, get_entries),
    "assert": (2, 3, assert_that),
}

BUILTINS: dict[str, Builtin] = {
    name: Builtin(name, low, high, function)
    for table in (_OWN, string_functions.FUNCTIONS, number_functions.FUNCTIONS, list_functions.FUNCTIONS)
    for name, (low, high, function) in table.items()
}
"""Every built-in function by name; names may contain spaces (``starts with``)."""
