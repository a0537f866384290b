"""Built-in string functions. Arguments of the wrong type give null, as everywhere in FEEL."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from engine.expressions import regex
from engine.expressions.limits import EvaluationBudget
from engine.expressions.values import format_value, small_integer

Function = Callable[[EvaluationBudget, list[object]], object]


def string(budget: EvaluationBudget, args: list[object]) -> object:
    """``string(x)``: a string as it is, any other value as FEEL text; null stays null."""
    value = args[0]
    if value is None or isinstance(value, str):
        return value
    return budget.check_string(format_value(value, budget))


def string_length(budget: EvaluationBudget, args: list[object]) -> object:
    """``string length(s)``: the number of characters (code points)."""
    return Decimal(len(args[0])) if isinstance(args[0], str) else None


def upper_case(budget: EvaluationBudget, args: list[object]) -> object:
    """``upper case(s)``."""
    return budget.check_string(args[0].upper()) if isinstance(args[0], str) else None


def lower_case(budget: EvaluationBudget, args: list[object]) -> object:
    """``lower case(s)``."""
    return budget.check_string(args[0].lower()) if isinstance(args[0], str) else None


def trim(budget: EvaluationBudget, args: list[object]) -> object:
    """``trim(s)``: without leading and trailing whitespace (a Camunda extension)."""
    return budget.check_string(args[0].strip()) if isinstance(args[0], str) else None


def substring(budget: EvaluationBudget, args: list[object]) -> object:
    """``substring(s, start[, length])``: 1-based start, negative from the end (-1 is the last)."""
    text, start = args[0], small_integer(args[1])
    if not isinstance(text, str) or start is None or start == 0:
        return None
    begin = start - 1 if start > 0 else max(len(text) + start, 0)
    if len(args) < 3:
        return budget.check_string(text[begin:])
    length = small_integer(args[2])
    if length is None or length < 0:
        return None
    return budget.check_string(text[begin : begin + length])


def substring_before(budget: EvaluationBudget, args: list[object]) -> object:
    """``substring before(s, match)``: the part before the first match, "" without a match."""
    text, match = args
    if not (isinstance(text, str) and isinstance(match, str)):
        return None
    budget.spend_characters(len(text))
    index = text.find(match)
    return text[:index] if index >= 0 else ""


def substring_after(budget: EvaluationBudget, args: list[object]) -> object:
    """``substring after(s, match)``: the part after the first match, "" without a match."""
    text, match = args
    if not (isinstance(text, str) and isinstance(match, str)):
        return None
    budget.spend_characters(len(text))
    index = text.find(match)
    return text[index + len(match) :] if index >= 0 else ""


def _string_test(test: Callable[[str, str], bool]) -> Function:
    def function(budget: EvaluationBudget, args: list[object]) -> object:
        text, match = args
        if not (isinstance(text, str) and isinstance(match, str)):
            return None
        budget.spend_characters(len(text))
        return test(text, match)

    return function


def string_join(budget: EvaluationBudget, args: list[object]) -> object:
    """``string join(list[, delimiter])``: nulls are skipped; any other non-string gives null."""
    items = args[0]
    delimiter = args[1] if len(args) > 1 else ""
    if not isinstance(items, list) or not isinstance(delimiter, str):
        return None
    budget.spend(len(items))
    if not all(item is None or isinstance(item, str) for item in items):
        return None
    parts = [item for item in items if isinstance(item, str)]
    budget.check_length(sum(len(part) for part in parts) + len(delimiter) * max(len(parts) - 1, 0))
    return delimiter.join(parts)


def matches(budget: EvaluationBudget, args: list[object]) -> object:
    """``matches(s, pattern[, flags])``: whether the pattern matches anywhere in ``s``.

    Patterns are the supported subset of XPath regular expressions, run by RE2 (see ``regex``); flags are
    ``i`` (ignore case), ``s`` (``.`` matches newlines) and ``m`` (``^``/``$`` match at lines).
    """
    text, pattern = args[0], args[1]
    flags = args[2] if len(args) > 2 else ""
    if not (isinstance(text, str) and isinstance(pattern, str) and isinstance(flags, str)):
        return None
    try:
        program = regex.compile_pattern(pattern, flags)
    except regex.PatternError as exc:
        budget.fail(f"matches(): {exc}")
    budget.spend(program.cost)
    return regex.search(program, text, budget)


FUNCTIONS: dict[str, tuple[int, int | None, Function]] = {
    "string": (1, 1, string),
    "string length": (1, 1, string_length),
    "upper case": (1, 1, upper_case),
    "lower case": (1, 1, lower_case),
    "trim": (1, 1, trim),
    "substring": (2, 3, substring),
    "substring before": (2, 2, substring_before),
    "substring after": (2, 2, substring_after),
    "contains": (2, 2, _string_test(lambda text, match: match in text)),
    "starts with": (2, 2, _string_test(lambda text, match: text.startswith(match))),
    "ends with": (2, 2, _string_test(lambda text, match: text.endswith(match))),
    "string join": (1, 2, string_join),
    "matches": (2, 3, matches),
}
"""Name → (fewest arguments, most arguments, function)."""
