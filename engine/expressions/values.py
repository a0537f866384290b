"""FEEL values: what they are, how they convert from and to JSON, compare, and print.

A FEEL value is one of ``None`` (null), ``bool``, ``Decimal`` (every number), ``str``, ``list``,
``dict`` with ``str`` keys (a context) or :class:`FeelRange`. Nothing else ever reaches the
evaluator, so no Python object and none of its attributes is reachable from an expression.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import (
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DecimalException,
    DivisionByZero,
    InvalidOperation,
    Overflow,
)

from engine.expressions.errors import ExpressionError
from engine.expressions.limits import (
    MAX_COLLECTION_ITEMS,
    MAX_NESTING_DEPTH,
    MAX_VALUE_DEPTH,
    EvaluationBudget,
)

NUMBER_CONTEXT = Context(
    prec=34,
    rounding=ROUND_HALF_EVEN,
    Emin=-6143,
    Emax=6144,
    capitals=1,
    clamp=0,
    flags=[],
    traps=[InvalidOperation, DivisionByZero, Overflow],
)
"""FEEL numbers are IEEE 754 decimal128: 34 significant digits, exponents up to 6144.

Division by zero, overflow and invalid operations raise, and the evaluator turns them into null.
"""

# Integers with more digits than this cannot be printed by Python (sys.int_info.str_digits_check_threshold).
_MAX_JSON_INTEGER_DIGITS = 4000

# Values built by an evaluation nest at most as deep as their variables plus the expression's own nesting.
_MAX_RESULT_DEPTH = MAX_VALUE_DEPTH + MAX_NESTING_DEPTH + 8


@dataclass(frozen=True)
class FeelRange:
    """A range ``[start..end]`` of numbers or strings; each end may be open or closed."""

    start: Decimal | str
    end: Decimal | str
    start_included: bool = True
    end_included: bool = True

    def contains(self, value: object, budget: EvaluationBudget | None = None) -> bool | None:
        """Whether ``value`` lies in the range; null when it is not comparable with the bounds."""
        low = compare(value, self.start, budget)
        high = compare(value, self.end, budget)
        if low is None or high is None:
            return None
        above_start = low > 0 or (low == 0 and self.start_included)
        below_end = high < 0 or (high == 0 and self.end_included)
        return above_start and below_end


def type_name(value: object) -> str:
    """The FEEL name of a value's type, for messages and ``instance of``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, Decimal):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "context"
    if isinstance(value, FeelRange):
        return "range"
    return type(value).__name__


def is_number(value: object) -> bool:
    """True for FEEL numbers (a ``bool`` is not a number)."""
    return isinstance(value, Decimal)


def is_integer(value: object) -> bool:
    """True for numbers without a fractional part."""
    return isinstance(value, Decimal) and value == value.to_integral_value()


_SMALL_INTEGER_DIGITS = 18


def small_integer(value: object) -> int | None:
    """``value`` as an ``int`` when it is an integer below 10**18 in magnitude, else None.

    Positions, lengths, scales and range bounds go through here: turning 1e6000 into a Python
    int takes milliseconds, and no list or string is that long anyway.
    """
    if not isinstance(value, Decimal) or not value.is_finite():
        return None
    if value.is_zero():
        return 0
    if value.adjusted() >= _SMALL_INTEGER_DIGITS or value != value.to_integral_value():
        return None
    return int(value)


def to_feel(value: object, budget: EvaluationBudget | None = None) -> object:
    """Convert a decoded JSON value (or a FEEL value) into a FEEL value.

    ``int`` and ``float`` become ``Decimal`` rounded to decimal128 (34 significant digits;
    non-finite floats become null), tuples become lists. Raises :class:`ExpressionError` for values
    that are not JSON (objects, non-string keys), numbers beyond decimal128, and values nested
    deeper than ``MAX_VALUE_DEPTH``. With a ``budget``, the conversion is paid for.
    """
    return _to_feel(value, 0, budget)


def _to_feel(value: object, depth: int, budget: EvaluationBudget | None) -> object:
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, Decimal):
        return _number(value) if value.is_finite() else None
    if isinstance(value, int):
        return _number(value)
    if isinstance(value, float):
        # repr() is the shortest text that reads back as the same float: 0.1, not 0.1000000000000000055…
        return _number(repr(value)) if math.isfinite(value) else None
    if isinstance(value, FeelRange):
        return value
    if depth >= MAX_VALUE_DEPTH:
        raise ExpressionError("", f"a value nested deeper than {MAX_VALUE_DEPTH} levels is not supported")
    if isinstance(value, list | tuple):
        if budget is not None:
            budget.spend_conversion(len(value))
        return [_to_feel(item, depth + 1, budget) for item in value]
    if isinstance(value, Mapping):
        if budget is not None:
            budget.spend_conversion(len(value))
        converted: dict[str, object] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise ExpressionError("", f"an object key must be a string, not {type(key).__name__}")
            converted[key] = _to_feel(item, depth + 1, budget)
        return converted
    raise ExpressionError("", f"a value of type {type(value).__name__} is not a JSON value")


def _number(value: Decimal | int | str) -> Decimal:
    try:
        return NUMBER_CONTEXT.create_decimal(value)
    except DecimalException:
        raise ExpressionError("", "a number is beyond the range of FEEL numbers (decimal128)") from None


def to_json(value: object, _depth: int = 0) -> object:
    """Convert a FEEL value into a JSON-serialisable Python value.

    Integral numbers become ``int``, others ``float``. A range has no JSON form: converting one
    raises :class:`ExpressionError` (build a list with ``for i in range return i`` instead).
    """
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, Decimal):
        return _number_to_json(value)
    if _depth >= _MAX_RESULT_DEPTH:
        raise ExpressionError("", f"a value nested deeper than {_MAX_RESULT_DEPTH} levels cannot be stored")
    if isinstance(value, list):
        return [to_json(item, _depth + 1) for item in value]
    if isinstance(value, dict):
        return {key: to_json(item, _depth + 1) for key, item in value.items()}
    if isinstance(value, FeelRange):
        raise ExpressionError(
            "", f"the range {format_value(value)} has no JSON form; turn it into a list with a for expression"
        )
    raise ExpressionError("", f"a value of type {type(value).__name__} is not a FEEL value")


def _number_to_json(number: Decimal) -> int | float | None:
    if not number.is_finite():
        return None
    if number == number.to_integral_value():
        if number.adjusted() >= _MAX_JSON_INTEGER_DIGITS:
            raise ExpressionError("", f"the number {number} is too large to be stored as JSON")
        return int(number)
    return float(number)


def _kind(value: object) -> int:
    # bool before Decimal: True == Decimal(1) in Python, but not in FEEL.
    if isinstance(value, bool):
        return 1
    if isinstance(value, Decimal):
        return 2
    if isinstance(value, str):
        return 3
    if isinstance(value, list):
        return 4
    if isinstance(value, dict):
        return 5
    if isinstance(value, FeelRange):
        return 6
    return 0


def equal(left: object, right: object, budget: EvaluationBudget | None = None) -> bool | None:
    """FEEL ``=``: null equals only null; values of different types are not comparable (null).

    With a ``budget``, the elements and characters compared are paid for.
    """
    if left is None or right is None:
        return left is None and right is None
    if _kind(left) != _kind(right):
        return None
    if isinstance(left, list) and isinstance(right, list):
        if len(left) != len(right):
            return False
        if budget is not None:
            budget.spend(len(left))
        return all(equal(a, b, budget) is True for a, b in zip(left, right, strict=True))
    if isinstance(left, dict) and isinstance(right, dict):
        if left.keys() != right.keys():
            return False
        if budget is not None:
            budget.spend(len(left))
        return all(equal(item, right[key], budget) is True for key, item in left.items())
    if budget is not None and isinstance(left, str) and isinstance(right, str):
        budget.spend_characters(min(len(left), len(right)))
    return left == right


def compare(left: object, right: object, budget: EvaluationBudget | None = None) -> int | None:
    """Order two numbers or two strings (-1, 0, 1); null for anything else."""
    if isinstance(left, Decimal) and isinstance(right, Decimal):
        return (left > right) - (left < right)
    if isinstance(left, str) and isinstance(right, str):
        if budget is not None:
            budget.spend_characters(min(len(left), len(right)))
        return (left > right) - (left < right)
    return None


def value_key(value: object, budget: EvaluationBudget) -> object:
    """A hashable key such that two values have equal keys exactly when they are FEEL-equal."""
    if isinstance(value, list):
        budget.spend(len(value))
        return ("list", tuple(value_key(item, budget) for item in value))
    if isinstance(value, dict):
        budget.spend(len(value))
        return ("context", frozenset((key, value_key(item, budget)) for key, item in value.items()))
    if isinstance(value, str):
        budget.spend_characters(len(value))
    return (_kind(value), value)


def range_items(
    start: object, end: object, start_included: bool, end_included: bool, budget: EvaluationBudget
) -> list[object] | None:
    """The integers of a range from ``start`` towards ``end`` (descending when end < start).

    Null when a bound is not an integer. Fails when the range has more items than the limit,
    before allocating any of them.
    """
    if not (isinstance(start, Decimal) and is_integer(start) and isinstance(end, Decimal) and is_integer(end)):
        return None
    try:
        span = small_integer(NUMBER_CONTEXT.subtract(end, start).copy_abs())
    except DecimalException:
        span = None
    if span is None:
        budget.fail(f"a range of more than 10**18 items exceeds the limit of {MAX_COLLECTION_ITEMS} items")
    budget.check_items(span + 1, "a range")
    first, last = small_integer(start), small_integer(end)
    if first is None or last is None:
        budget.fail("a range can be expanded into a list only when its bounds are below 10**18")
    step = 1 if first <= last else -1
    if not start_included:
        first += step
    if not end_included:
        last -= step
    if (last - first) * step < 0:
        return []
    return [Decimal(item) for item in range(first, last + step, step)]


def format_number(number: Decimal) -> str:
    """A number as FEEL prints it: plain digits, no exponent, no trailing zeros (``1.50`` → ``1.5``)."""
    if number.is_zero():
        return "0"
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def quote(text: str) -> str:
    """A string literal in FEEL syntax, with the escapes the lexer reads back."""
    parts = []
    for char in text:
        escaped = _ESCAPES.get(char)
        if escaped is not None:
            parts.append(escaped)
        elif char < " " or "\ud800" <= char <= "\udfff":
            parts.append(f"\\u{ord(char):04x}")
        else:
            parts.append(char)
    return '"' + "".join(parts) + '"'


def format_value(value: object, budget: EvaluationBudget | None = None) -> str:
    """A value as FEEL text: ``[1, "a"]``, ``{"a": 1}``, ``[1..10)``; strings are quoted.

    With a ``budget``, every element of a list or context is paid for.
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format_number(value)
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, list):
        if budget is not None:
            budget.spend(len(value))
        return "[" + ", ".join(format_value(item, budget) for item in value) + "]"
    if isinstance(value, dict):
        if budget is not None:
            budget.spend(len(value))
        return "{" + ", ".join(f"{quote(key)}: {format_value(item, budget)}" for key, item in value.items()) + "}"
    if isinstance(value, FeelRange):
        opening = "[" if value.start_included else "("
        closing = "]" if value.end_included else ")"
        return f"{opening}{format_value(value.start)}..{format_value(value.end)}{closing}"
    return "null"
