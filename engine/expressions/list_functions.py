"""Built-in list functions. Each element a function visits costs one evaluation step.

Wherever a list is expected, a range of integers is accepted too and expanded into its items,
within the materialisation limit (``count([1..1000000000])`` fails instead of allocating).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, DecimalException

from engine.expressions.limits import EvaluationBudget
from engine.expressions.values import (
    NUMBER_CONTEXT,
    FeelRange,
    compare,
    equal,
    range_items,
    small_integer,
    value_key,
)

Function = Callable[[EvaluationBudget, list[object]], object]


def as_list(value: object, budget: EvaluationBudget) -> list[object] | None:
    """The items of a list, or of a range of integers; null for anything else."""
    if isinstance(value, list):
        return value
    if isinstance(value, FeelRange):
        return range_items(value.start, value.end, value.start_included, value.end_included, budget)
    return None


def _list_or_arguments(args: list[object], budget: EvaluationBudget) -> list[object] | None:
    # min(list) and min(a, b, c) are both FEEL.
    if len(args) == 1:
        items = as_list(args[0], budget)
        return items if items is not None else [args[0]]
    return args


def _numbers(args: list[object], budget: EvaluationBudget) -> list[Decimal] | None:
    items = _list_or_arguments(args, budget)
    if not items:
        return None
    budget.spend(len(items))
    numbers = [item for item in items if isinstance(item, Decimal)]
    return numbers if len(numbers) == len(items) else None


def count(budget: EvaluationBudget, args: list[object]) -> object:
    """``count(list)``."""
    items = as_list(args[0], budget)
    return Decimal(len(items)) if items is not None else None


def _extreme(pick_min: bool) -> Function:
    def function(budget: EvaluationBudget, args: list[object]) -> object:
        items = _list_or_arguments(args, budget)
        if not items:
            return None
        budget.spend(len(items))
        best = items[0]
        for item in items[1:]:
            order = compare(item, best, budget)
            if order is None:
                return None
            if (order < 0) if pick_min else (order > 0):
                best = item
        return best if compare(best, best) == 0 else None

    function.__doc__ = "min(list) or min(a, b, …)" if pick_min else "max(list) or max(a, b, …)"
    return function


def _sum(numbers: list[Decimal]) -> Decimal | None:
    try:
        result = Decimal(0)
        for item in numbers:
            result = NUMBER_CONTEXT.add(result, item)
        return result
    except DecimalException:
        return None


def total(budget: EvaluationBudget, args: list[object]) -> object:
    """``sum(list)`` or ``sum(a, b, …)``: null for an empty list or a non-number."""
    numbers = _numbers(args, budget)
    return _sum(numbers) if numbers is not None else None


def product(budget: EvaluationBudget, args: list[object]) -> object:
    """``product(list)`` or ``product(a, b, …)``."""
    numbers = _numbers(args, budget)
    if numbers is None:
        return None
    try:
        result = Decimal(1)
        for item in numbers:
            result = NUMBER_CONTEXT.multiply(result, item)
        return result
    except DecimalException:
        return None


def mean(budget: EvaluationBudget, args: list[object]) -> object:
    """``mean(list)`` or ``mean(a, b, …)``."""
    numbers = _numbers(args, budget)
    result = _sum(numbers) if numbers is not None else None
    if result is None or not numbers:
        return None
    try:
        return NUMBER_CONTEXT.divide(result, Decimal(len(numbers)))
    except DecimalException:
        return None


def _booleans(want_all: bool) -> Function:
    def function(budget: EvaluationBudget, args: list[object]) -> object:
        items = _list_or_arguments(args, budget)
        if items is None:
            return None
        budget.spend(len(items))
        decisive = not want_all  # all(): one false decides; any(): one true decides
        if any(item is decisive for item in items):
            return decisive
        if all(isinstance(item, bool) for item in items):
            return want_all
        return None

    function.__doc__ = "all(list): true when every item is true" if want_all else "any(list)"
    return function


def list_contains(budget: EvaluationBudget, args: list[object]) -> object:
    """``list contains(list, item)``: FEEL equality, so ``null`` can be found too."""
    items = as_list(args[0], budget)
    if items is None:
        return None
    budget.spend(len(items))
    return any(equal(item, args[1], budget) is True for item in items)


def append(budget: EvaluationBudget, args: list[object]) -> object:
    """``append(list, item, …)``: a new list with the items at the end."""
    items = as_list(args[0], budget)
    if items is None:
        return None
    budget.check_items(len(items) + len(args) - 1)
    budget.spend(len(items))
    return [*items, *args[1:]]


def concatenate(budget: EvaluationBudget, args: list[object]) -> object:
    """``concatenate(list, …)``: one list with the items of all."""
    lists = [as_list(arg, budget) for arg in args]
    if any(items is None for items in lists):
        return None
    size = sum(len(items) for items in lists if items is not None)
    budget.check_items(size)
    budget.spend(size)
    return [item for items in lists if items is not None for item in items]


def distinct_values(budget: EvaluationBudget, args: list[object]) -> object:
    """``distinct values(list)``: the first occurrence of each value, in order."""
    items = as_list(args[0], budget)
    if items is None:
        return None
    budget.spend(len(items))
    seen: set[object] = set()
    result = []
    for item in items:
        key = value_key(item, budget)
        if key not in seen:
            seen.add(key)
            result.append(item)
    return result


def flatten(budget: EvaluationBudget, args: list[object]) -> object:
    """``flatten(list)``: nested lists replaced by their items, at any depth."""
    items = as_list(args[0], budget)
    if items is None:
        return None
    result: list[object] = []
    # An explicit stack instead of recursion: nesting comes from variables and is not ours to trust.
    stack = [iter(items)]
    while stack:
        for item in stack[-1]:
            budget.spend()
            if isinstance(item, list):
                stack.append(iter(item))
                break
            result.append(item)
        else:
            stack.pop()
    return result


def reverse(budget: EvaluationBudget, args: list[object]) -> object:
    """``reverse(list)``."""
    items = as_list(args[0], budget)
    if items is None:
        return None
    budget.spend(len(items))
    return items[::-1]


def index_of(budget: EvaluationBudget, args: list[object]) -> object:
    """``index of(list, match)``: the 1-based positions of the items equal to ``match``."""
    items = as_list(args[0], budget)
    if items is None:
        return None
    budget.spend(len(items))
    return [Decimal(index) for index, item in enumerate(items, 1) if equal(item, args[1], budget) is True]


def sublist(budget: EvaluationBudget, args: list[object]) -> object:
    """``sublist(list, start[, length])``: 1-based start, negative from the end."""
    items = as_list(args[0], budget)
    start = small_integer(args[1])
    if items is None or start is None or start == 0:
        return None
    begin = start - 1 if start > 0 else max(len(items) + start, 0)
    if len(args) < 3:
        return items[begin:]
    length = small_integer(args[2])
    if length is None or length < 0:
        return None
    return items[begin : begin + length]


def is_empty(budget: EvaluationBudget, args: list[object]) -> object:
    """``is empty(list)`` (a Camunda extension)."""
    items = as_list(args[0], budget)
    return len(items) == 0 if items is not None else None


FUNCTIONS: dict[str, tuple[int, int | None, Function]] = {
    "count": (1, 1, count),
    "min": (1, None, _extreme(pick_min=True)),
    "max": (1, None, _extreme(pick_min=False)),
    "sum": (1, None, total),
    "product": (1, None, product),
    "mean": (1, None, mean),
    "all": (1, None, _booleans(want_all=True)),
    "any": (1, None, _booleans(want_all=False)),
    "list contains": (2, 2, list_contains),
    "append": (1, None, append),
    "concatenate": (1, None, concatenate),
    "distinct values": (1, 1, distinct_values),
    "flatten": (1, 1, flatten),
    "reverse": (1, 1, reverse),
    "index of": (2, 2, index_of),
    "sublist": (2, 3, sublist),
    "is empty": (1, 1, is_empty),
}
"""Name → (fewest arguments, most arguments, function)."""
