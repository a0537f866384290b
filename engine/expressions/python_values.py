"""Values of the Python dialect: what enters an evaluation, what leaves it, and what it may cost.

Inside an evaluation a value is ``None``, ``bool``, ``int``, ``float``, ``str``, ``list``, ``tuple``,
``dict``, ``set``, ``range`` or a generator built by a generator expression; nothing else is ever
created, so no Python object with attributes worth reaching exists. Variables are copied in
(:func:`import_value`) so that nothing an expression or script does can change the caller's data,
and results are copied out as plain JSON values (:func:`export_value`).

Python shares objects (``[a] * 3`` holds ``a`` three times), so a value's real size can be far
beyond the items that were paid for when it was built: operations whose cost grows with the whole
value (equality, ``str()``, sorting, hashing, copying out) first :func:`weigh` it against the budget.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Mapping
from decimal import Decimal
from types import GeneratorType

from engine.expressions.errors import ExpressionError
from engine.expressions.limits import (
    CHARACTERS_PER_STEP,
    MAX_NESTING_DEPTH,
    MAX_VALUE_DEPTH,
    VALUES_PER_STEP,
    EvaluationBudget,
)

MAX_INTEGER_DIGITS = 1000
"""Decimal digits of the largest integer an evaluation may build."""

_MAX_INTEGER_BITS = 3322  # 2**3322 has 1000 decimal digits

MAX_RESULT_DEPTH = MAX_VALUE_DEPTH + MAX_NESTING_DEPTH + 8
"""Nesting of values an evaluation may build: its variables' nesting plus the expression's own."""


def type_name(value: object) -> str:
    """The Python name of a value's type, as Python's own messages print it."""
    return type(value).__name__


def check_number(value: object, budget: EvaluationBudget) -> object:
    """Fail for integers beyond :data:`MAX_INTEGER_DIGITS`, non-finite floats and complex numbers."""
    if isinstance(value, int):
        if value.bit_length() > _MAX_INTEGER_BITS:
            budget.fail(f"an integer of more than {MAX_INTEGER_DIGITS} digits exceeds the limit")
    elif isinstance(value, float):
        if not math.isfinite(value):
            budget.fail("the result is not a finite number (inf or nan), which JSON cannot hold")
    elif isinstance(value, complex):
        budget.fail("the result is a complex number, which is not supported")
    return value


def check_integer_bits(bits: int, budget: EvaluationBudget) -> None:
    """Fail before building an integer of about ``bits`` bits when it would exceed the limit."""
    if bits > _MAX_INTEGER_BITS + 1:
        budget.fail(f"an integer of more than {MAX_INTEGER_DIGITS} digits exceeds the limit")


def weigh(value: object, budget: EvaluationBudget) -> None:
    """Pay for visiting every item of ``value`` (shared parts each time they occur).

    Fails when the value is nested deeper than :data:`MAX_RESULT_DEPTH`, so that Python's own
    recursive operations on it (``==``, ``repr``, ``hash``) stay far from the recursion limit, and
    when the visit exceeds the step budget, so that a value holding itself many times over is
    refused instead of being walked for hours.
    """
    pending: list[tuple[object, int]] = [(value, 0)]
    visited = 0
    while pending:
        item, depth = pending.pop()
        visited += 1
        if visited >= VALUES_PER_STEP:
            budget.spend(visited // VALUES_PER_STEP)
            visited %= VALUES_PER_STEP
        if isinstance(item, str):
            if len(item) >= CHARACTERS_PER_STEP:
                budget.spend_characters(len(item))
            continue
        if not isinstance(item, list | tuple | dict | set | frozenset):
            continue
        if depth >= MAX_RESULT_DEPTH:
            budget.fail(f"a value nested deeper than {MAX_RESULT_DEPTH} levels is not supported")
        if isinstance(item, dict):
            pending.extend((key, depth + 1) for key in item)
            pending.extend((member, depth + 1) for member in item.values())
        else:
            pending.extend((member, depth + 1) for member in item)


def weigh_containers(budget: EvaluationBudget, *values: object) -> None:
    """:func:`weigh` those of ``values`` that are collections or long strings."""
    for value in values:
        if isinstance(value, list | tuple | dict | set | frozenset):
            weigh(value, budget)
        elif isinstance(value, str):
            budget.spend_characters(len(value))


def check_collection(count: int, budget: EvaluationBudget, what: str = "a list") -> None:
    """Before building a collection of ``count`` items: enforce the limit, pay for the work."""
    budget.check_items(count, what)
    budget.spend_conversion(count)


def import_value(value: object, budget: EvaluationBudget, depth: int = 0) -> object:
    """A private copy of a variable's decoded JSON value, paid for and checked.

    Tuples become lists, ``Decimal`` numbers (FEEL values) ``int`` or ``float``. Raises
    :class:`ExpressionError` for values that are not JSON and for non-finite numbers.
    """
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return check_number(value, budget)
    if isinstance(value, float):
        if not math.isfinite(value):
            budget.fail("a variable holds a number that is not finite (inf or nan)")
        return value
    if isinstance(value, Decimal):
        if not value.is_finite():
            budget.fail("a variable holds a number that is not finite (inf or nan)")
        if value == value.to_integral_value() and value.adjusted() < MAX_INTEGER_DIGITS:
            return int(value)
        return check_number(float(value), budget)
    if depth >= MAX_VALUE_DEPTH:
        budget.fail(f"a variable nested deeper than {MAX_VALUE_DEPTH} levels is not supported")
    if isinstance(value, list | tuple):
        budget.spend_conversion(len(value))
        return [import_value(item, budget, depth + 1) for item in value]
    if isinstance(value, Mapping):
        budget.spend_conversion(len(value))
        copied: dict[object, object] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                budget.fail(f"an object key must be a string, not {type_name(key)}")
            copied[key] = import_value(item, budget, depth + 1)
        return copied
    budget.fail(f"a variable of type {type_name(value)} is not a JSON value")


def export_value(value: object, budget: EvaluationBudget) -> object:
    """``value`` as a fresh, plain JSON value: tuples, sets and ranges become lists.

    Dictionary keys become strings as ``json.dumps`` writes them (``1`` → ``"1"``, ``True`` →
    ``"true"``, ``None`` → ``"null"``). Sets are sorted when their items can be ordered, so that
    results do not depend on hash order. Generators cannot be stored and fail.
    """
    weigh(value, budget)
    return _export(value, budget)


def _export(value: object, budget: EvaluationBudget) -> object:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return check_number(value, budget)
    if isinstance(value, list | tuple):
        return [_export(item, budget) for item in value]
    if isinstance(value, set | frozenset):
        items = list(value)
        with contextlib.suppress(TypeError):  # mixed types keep iteration order
            items.sort()  # type: ignore[call-arg]
        return [_export(item, budget) for item in items]
    if isinstance(value, range):
        check_collection(len(value), budget, "a range")
        return list(value)
    if isinstance(value, dict):
        return {_export_key(key, budget): _export(item, budget) for key, item in value.items()}
    if isinstance(value, GeneratorType):
        budget.fail("a generator has no JSON value; turn it into a list with list(...) or [...]")
    budget.fail(f"a value of type {type_name(value)} has no JSON value")


def _export_key(key: object, budget: EvaluationBudget) -> str:
    if isinstance(key, str):
        return key
    if key is None:
        return "null"
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, int | float):
        return repr(key)
    budget.fail(f"a dict key of type {type_name(key)} cannot be stored as JSON")


def to_text(value: object, budget: EvaluationBudget, quoted: bool = False) -> str:
    """``str(value)`` (or ``repr`` when ``quoted``), paid for and within the string limit."""
    if isinstance(value, GeneratorType):
        budget.fail("a generator has no text; turn it into a list first")
    weigh(value, budget)
    text = repr(value) if quoted else str(value)
    return budget.check_string(text)


def fail_for(budget: EvaluationBudget, error: Exception) -> ExpressionError:
    """An :class:`ExpressionError` carrying what Python would have said about ``error``."""
    message = str(error)
    if len(message) > 200:
        message = message[:200] + "…"
    return ExpressionError(budget.source, f"{type(error).__name__}: {message}", budget.position)
