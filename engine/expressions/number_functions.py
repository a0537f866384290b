"""Built-in number functions, computed with decimal128 arithmetic (``values.NUMBER_CONTEXT``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import (
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
    Decimal,
    DecimalException,
)

from engine.expressions.limits import EvaluationBudget
from engine.expressions.values import NUMBER_CONTEXT, is_integer, small_integer

Function = Callable[[EvaluationBudget, list[object]], object]

# FEEL number syntax, plus an exponent. Applied only to short strings (see number()).
_NUMBER_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_MAX_NUMBER_TEXT = 1000
_MIN_SCALE, _MAX_SCALE = -6111, 6176
_DIGITS = NUMBER_CONTEXT.prec


def number(budget: EvaluationBudget, args: list[object]) -> object:
    """``number(s)``: the number a string spells (``"1.5"``, ``"-3"``, ``"2e3"``), else null."""
    text = args[0]
    if not isinstance(text, str) or len(text) > _MAX_NUMBER_TEXT or not _NUMBER_TEXT.fullmatch(text):
        return None
    try:
        return NUMBER_CONTEXT.plus(Decimal(text))
    except DecimalException:
        return None


def absolute(budget: EvaluationBudget, args: list[object]) -> object:
    """``abs(n)``."""
    return args[0].copy_abs() if isinstance(args[0], Decimal) else None


def _scale(value: object) -> int | None:
    scale = small_integer(value)
    return scale if scale is not None and _MIN_SCALE <= scale <= _MAX_SCALE else None


def _rounding(mode: str, scale_required: bool) -> Function:
    def function(budget: EvaluationBudget, args: list[object]) -> object:
        value = args[0]
        scale = _scale(args[1]) if len(args) > 1 else 0
        if not isinstance(value, Decimal) or scale is None:
            return None
        if value.as_tuple().exponent >= -scale:  # type: ignore[operator]
            return value  # already has no more decimals than the scale
        try:
            return value.quantize(Decimal(1).scaleb(-scale, NUMBER_CONTEXT), rounding=mode, context=NUMBER_CONTEXT)
        except DecimalException:
            # More digits than decimal128 holds at that scale.
            return None

    function.__doc__ = f"Round with {mode} to a scale {'(required)' if scale_required else '(default 0)'}."
    return function


def modulo(budget: EvaluationBudget, args: list[object]) -> object:
    """``modulo(dividend, divisor)``: the remainder with the sign of the divisor; null for 0."""
    dividend, divisor = args
    if not (isinstance(dividend, Decimal) and isinstance(divisor, Decimal)) or divisor.is_zero():
        return None
    try:
        remainder = NUMBER_CONTEXT.remainder(dividend, divisor)
        if not remainder.is_zero() and remainder.is_signed() != divisor.is_signed():
            remainder = NUMBER_CONTEXT.add(remainder, divisor)
    except DecimalException:
        return None
    return remainder


def _parity(want_odd: bool) -> Function:
    def function(budget: EvaluationBudget, args: list[object]) -> object:
        value = args[0]
        if not (isinstance(value, Decimal) and is_integer(value)):
            return None
        if value.adjusted() >= _DIGITS:
            return not want_odd  # 34 digits at most, so a larger integer ends in a zero
        return (int(value) % 2 == 1) is want_odd

    function.__doc__ = "odd(n)" if want_odd else "even(n)"
    return function


FUNCTIONS: dict[str, tuple[int, int | None, Function]] = {
    "number": (1, 1, number),
    "abs": (1, 1, absolute),
    "floor": (1, 2, _rounding(ROUND_FLOOR, scale_required=False)),
    "ceiling": (1, 2, _rounding(ROUND_CEILING, scale_required=False)),
    "decimal": (2, 2, _rounding(ROUND_HALF_EVEN, scale_required=True)),
    "round half even": (2, 2, _rounding(ROUND_HALF_EVEN, scale_required=True)),
    "round half up": (2, 2, _rounding(ROUND_HALF_UP, scale_required=True)),
    "round half down": (2, 2, _rounding(ROUND_HALF_DOWN, scale_required=True)),
    "round up": (2, 2, _rounding(ROUND_UP, scale_required=True)),
    "round down": (2, 2, _rounding(ROUND_DOWN, scale_required=True)),
    "modulo": (2, 2, modulo),
    "odd": (1, 1, _parity(want_odd=True)),
    "even": (1, 1, _parity(want_odd=False)),
}
"""Name → (fewest arguments, most arguments, function)."""
