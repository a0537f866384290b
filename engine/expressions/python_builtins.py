"""The functions and methods an expression of the Python dialect may call.

Only these exist: there is no way to name any other Python callable. Functions that Python makes
lazy (``reversed``, ``enumerate``, ``zip``) return lists here, bounded like any other list; methods
never change their receiver, so no expression can modify a variable.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping, Sequence

from engine.expressions.limits import MAX_STRING_LENGTH, EvaluationBudget
from engine.expressions.python_operators import binary, hashable, iterate, materialize
from engine.expressions.python_values import (
    MAX_INTEGER_DIGITS,
    check_collection,
    check_number,
    fail_for,
    to_text,
    type_name,
    weigh,
)

Arguments = Sequence[object]
Keywords = Mapping[str, object]
Builtin = Callable[[Arguments, Keywords, EvaluationBudget], object]
Method = Callable[[object, Arguments, Keywords, EvaluationBudget], object]

_ADD = ast.Add()
_ERRORS = (TypeError, ValueError, ArithmeticError, KeyError, IndexError)


def _arity(name: str, arguments: Arguments, low: int, high: int, budget: EvaluationBudget) -> None:
    if not low <= len(arguments) <= high:
        expected = str(low) if low == high else f"{low} to {high}"
        raise fail_for(budget, TypeError(f"{name}() takes {expected} arguments ({len(arguments)} given)"))


def _native(budget: EvaluationBudget, function: Callable[..., object], *arguments: object) -> object:
    try:
        return function(*arguments)
    except _ERRORS as error:
        raise fail_for(budget, error) from None


def _len(arguments: Arguments, keywords: Keywords, budget: EvaluationBudget) -> object:
    _arity("len", arguments, 1, 1, budget)
    value = arguments[0]
    if not isinstance(value, str | list | tuple | dict | set | frozenset | range):
        raise fail_for(budget, TypeError(f"object of type '{type_name(value)}' has no len()"))
    return len(value)


def _str(arguments: Arguments, keywords: Keywords, budget: EvaluationBudget) -> object:
    _arity("str", arguments, 0, 1, budget)
    return to_text(arguments[0], budget) if arguments else ""


def _int(arguments: Arguments, keywords: Keywords, budget: EvaluationBudget) -> object:
    _arity("int", arguments, 0, 2, budget)
    arguments = [*arguments, *([keywords["base"]] if "base" in keywords else [])]
    if not arguments:
        return 0
    if isinstance(arguments[0], str) and len(arguments[0].strip()) > MAX_INTEGER_DIGITS + 10:
        budget.fail(f"an integer of more than {MAX_INTEGER_DIGITS} digits exceeds the limit")
    if not isinstance(arguments[0], str | int | float):
        raise fail_for(
            budget, TypeError(f"int() argument must be a string or a number, not '{type_name(arguments[0])}'")
        )
    return check_number(_native(budget, int, *arguments), budget)


def _float(arguments: Arguments, keywords: Keywords, budget: EvaluationBudget) -> object:
    _arity("float", arguments, 0, 1, budget)
    if not arguments:
        return 0.0
    value = arguments[0]
    if not isinstance(value, str | int | float):
        raise fail_for(budget, TypeError(f"float() argument must be a string or a number, not '{type_name(value)}'"))
    if isinstance(value, str):
        budget.spend_characters(len(value))
    return check_number(_native(budget, float, value), budget)


def _bool(arguments: Arguments, keywords: Keywords, budget: EvaluationBudget) -> object:
    _arity("bool", arguments, 0, 1, budget)
    return bool(arguments[0]) if arguments else False


def _abs(arguments: Arguments, keywords: Keywords, budget: EvaluationBudget) -> object:
    _arity("abs", arguments, 1, 1, budget)
    return check_number(_native(budget, abs, arguments[0]), budget)


def _round(arguments: Arguments, keywords: Keywords, budget: EvaluationBudget) -> object:
    _arity("round", arguments, 1, 2, budget)
    digits = arguments[1] if len(arguments) > 1 else keywords.get("ndigits")
    if isinstance(digits, int) and abs(digits) > MAX_INTEGER_DIGITS:
        budget.fail(f"round() to more than {MAX_INTEGER_DIGITS} digits is not supported")
    if not isinstance(arguments[0], int | float):
        raise fail_for(budget, TypeError(f"type {type_name(arguments[0])} doesn't define __round__ method"))
    return check_number(_native(budget, round, arguments[0], digits), budget)


def _extreme(name: str, function: Callable[..., object]) -> Builtin:
    def extreme(arguments: Arguments, keywords: Keywords, budget: EvaluationBudget) -> object:
        if not arguments:
            raise fail_for(budget, TypeError(f"{name} expected at least 1 argument, got 0"))
        items = materialize(arguments[0], budget) if len(arguments) == 1 else list(arguments)
        weigh(items, budget)
        if not items and "default" in keywords:
            return keywords["default"]
        return _native(budget, function, items)

    extreme.__doc__ = f"Python's {name}() without key=."
    return extreme


def _sum(arguments: Arguments, keywords: Keywords, budget: EvaluationBudget) -> object:
    _arity("sum", arguments, 1, 2, budget)
    total = arguments[1] if len(arguments) > 1 else keywords.get("start", 0)
    if isinstance(total, str):
        raise fail_for(budget, TypeError("sum() can't sum strings [use ''.join(seq) instead]"))
    for item in iterate(arguments[0], budget):
        total = binary(_ADD, total, item, budget)
    return total


def _truth(every: bool) -> Builtin:
    def truth(arguments: Arguments, keywords: Keywords, budget: EvaluationBudget) -> object:
        _arity("all" if every else "any", arguments, 1, 1, budget)
        for item in iterate(arguments[0], budget):
            if bool(item) != every:
                return not every
        return every

    return truth


def _sorted(arguments: Arguments, keywords: Keywords, budget: EvaluationBudget) -> object:
    _arity("sorted", arguments, 1, 1, budget)
    items = materialize(arguments[0], budget)
    weigh(items, budget)
    budget.spend(len(items) * max(1, math.ceil(math.log2(len(items) + 1))) // 8)
    return _native(budget, lambda: sorted(items, reverse=bool(keywords.get("reverse", False))))


def _collection(name: str, build: Callable[[list[object]], object]) -> Builtin:
    def collection(arguments: Arguments, keywords: Keywords, budget: EvaluationBudget) -> object:
        _arity(name, arguments, 0, 1, budget)
        items = materialize(arguments[0], budget) if arguments else []
        if build is not list and build is not tuple:
            for item in items:
                hashable(item, budget)
        return build(items)

    return collection


def _dict(arguments: Arguments, keywords: Keywords, budget: EvaluationBudget) -> object:
    _arity("dict", arguments, 0, 1, budget)
    result: dict[object, object] = {}
    if arguments and isinstance(arguments[0], dict):
        check_collection(len(arguments[0]), budget)
        result.update(arguments[0])
    elif arguments:
        for number, pair in enumerate(iterate(arguments[0], budget)):
            members = materialize(pair, budget) if isinstance(pair, list | tuple | str) else None
            if members is None or len(members) != 2:
                raise fail_for(budget, ValueError(f"dictionary update sequence element #{number} has the wrong length"))
            result[hashable(members[0], budget)] = members[1]
    result.update(keywords)
    check_collection(len(result), budget)
    return result


def _range(arguments: Arguments, keywords: Keywords, budget: EvaluationBudget) -> object:
    _arity("range", arguments, 1, 3, budget)
    numbers = _native(budget, range, *arguments)
    try:
        size = len(numbers)  # type: ignore[arg-type]
    except OverflowError:
        size = None
    if size is None:
        budget.fail("a range of more than 2**63 items exceeds the limit")
    budget.check_items(size, "a range")
    return numbers


def _reversed(arguments: Arguments, keywords: Keywords, budget: EvaluationBudget) -> object:
    _arity("reversed", arguments, 1, 1, budget)
    value = arguments[0]
    if not isinstance(value, str | list | tuple | dict | range):
        raise fail_for(budget, TypeError(f"'{type_name(value)}' object is not reversible"))
    check_collection(len(value), budget)
    return list(reversed(value))  # type: ignore[call-overload]


def _enumerate(arguments: Arguments, keywords: Keywords, budget: EvaluationBudget) -> object:
    _arity("enumerate", arguments, 1, 2, budget)
    start = arguments[1] if len(arguments) > 1 else keywords.get("start", 0)
    if not isinstance(start, int):
        raise fail_for(budget, TypeError(f"'{type_name(start)}' object cannot be interpreted as an integer"))
    items = materialize(arguments[0], budget)
    return [(check_number(start + number, budget), item) for number, item in enumerate(items)]


def _zip(arguments: Arguments, keywords: Keywords, budget: EvaluationBudget) -> object:
    columns = [materialize(argument, budget) for argument in arguments]
    return list(zip(*columns, strict=False))


def builtin_function(name: str) -> Builtin:
    """The implementation of the supported builtin ``name`` (the checker has vetted the name)."""
    return _BUILTINS[name][0]


_BUILTINS: dict[str, tuple[Builtin, frozenset[str] | None]] = {
    "abs": (_abs, frozenset()),
    "all": (_truth(every=True), frozenset()),
    "any": (_truth(every=False), frozenset()),
    "bool": (_bool, frozenset()),
    "dict": (_dict, None),
    "enumerate": (_enumerate, frozenset({"start"})),
    "float": (_float, frozenset()),
    "int": (_int, frozenset({"base"})),
    "len": (_len, frozenset()),
    "list": (_collection("list", list), frozenset()),
    "max": (_extreme("max", max), frozenset({"default"})),
    "min": (_extreme("min", min), frozenset({"default"})),
    "range": (_range, frozenset()),
    "reversed": (_reversed, frozenset()),
    "round": (_round, frozenset({"ndigits"})),
    "set": (_collection("set", set), frozenset()),
    "sorted": (_sorted, frozenset({"reverse"})),
    "str": (_str, frozenset()),
    "sum": (_sum, frozenset({"start"})),
    "tuple": (_collection("tuple", tuple), frozenset()),
    "zip": (_zip, frozenset()),
}

BUILTIN_KEYWORDS: dict[str, frozenset[str] | None] = {name: keywords for name, (_, keywords) in _BUILTINS.items()}
"""Supported builtins by name, with the keyword arguments each accepts (``None``: any name)."""


# -- methods ----------------------------------------------------------------------------------------

# The unbound methods themselves, by receiver type and name: a method is never looked up by name.
_STRING_RESULTS: dict[str, Callable[..., object]] = {
    "lower": str.lower,
    "upper": str.upper,
    "strip": str.strip,
    "lstrip": str.lstrip,
    "rstrip": str.rstrip,
    "title": str.title,
    "capitalize": str.capitalize,
    "casefold": str.casefold,
}
_STRING_TESTS: dict[str, Callable[..., object]] = {
    "startswith": str.startswith,
    "endswith": str.endswith,
    "find": str.find,
    "rfind": str.rfind,
    "count": str.count,
    "index": str.index,
    "isdigit": str.isdigit,
    "isalpha": str.isalpha,
    "isalnum": str.isalnum,
    "isspace": str.isspace,
    "isnumeric": str.isnumeric,
    "isdecimal": str.isdecimal,
    "islower": str.islower,
    "isupper": str.isupper,
}
_SPLITS: dict[str, Callable[..., object]] = {"split": str.split, "rsplit": str.rsplit}
_SEQUENCE_METHODS: dict[tuple[type, str], Callable[..., object]] = {
    (list, "count"): list.count,
    (list, "index"): list.index,
    (tuple, "count"): tuple.count,
    (tuple, "index"): tuple.index,
}
_RECEIVERS: dict[str, tuple[type, ...]] = {
    **{name: (str,) for name in [*_STRING_RESULTS, *_STRING_TESTS, *_SPLITS, "replace", "join"]},
    "count": (str, list, tuple),
    "index": (str, list, tuple),
    "get": (dict,),
    "keys": (dict,),
    "values": (dict,),
    "items": (dict,),
}

METHOD_KEYWORDS: dict[str, frozenset[str]] = {
    name: frozenset({"sep", "maxsplit"}) if name in {"split", "rsplit"} else frozenset() for name in _RECEIVERS
}
"""Supported methods by name, with the keyword arguments each accepts."""


def call_method(
    receiver: object, name: str, arguments: Arguments, keywords: Keywords, budget: EvaluationBudget
) -> object:
    """``receiver.name(*arguments, **keywords)`` for a supported method of the receiver's type."""
    if type(receiver) not in _RECEIVERS[name]:
        raise fail_for(budget, AttributeError(f"'{type_name(receiver)}' object has no attribute '{name}'"))
    budget.spend()
    if isinstance(receiver, str):
        budget.spend_characters(len(receiver))
        return _string_method(receiver, name, arguments, keywords, budget)
    if isinstance(receiver, dict):
        return _dict_method(receiver, name, arguments, budget)
    weigh(receiver, budget)
    weigh([*arguments], budget)
    return _native(budget, _SEQUENCE_METHODS[type(receiver), name], receiver, *arguments)


def _string_method(text: str, name: str, arguments: Arguments, keywords: Keywords, budget: EvaluationBudget) -> object:
    if name in _STRING_RESULTS:
        return budget.check_string(_native(budget, _STRING_RESULTS[name], text, *arguments))  # type: ignore[arg-type]
    if name in _STRING_TESTS:
        return _native(budget, _STRING_TESTS[name], text, *arguments)
    if name in _SPLITS:
        parts = _native(budget, lambda: _SPLITS[name](text, *arguments, **keywords))
        check_collection(len(parts), budget)  # type: ignore[arg-type]
        return parts
    if name == "replace":
        _arity("replace", arguments, 2, 3, budget)
        old, new = arguments[0], arguments[1]
        if not (isinstance(old, str) and isinstance(new, str)):
            raise fail_for(budget, TypeError("replace() arguments must be str"))
        occurrences = text.count(old) if old else len(text) + 1
        if len(arguments) == 3 and isinstance(arguments[2], int) and arguments[2] >= 0:
            occurrences = min(occurrences, arguments[2])
        budget.check_length(len(text) + occurrences * (len(new) - len(old)))
        return _native(budget, str.replace, text, *arguments)
    # join
    _arity("join", arguments, 1, 1, budget)
    items = materialize(arguments[0], budget)
    length = len(text) * max(len(items) - 1, 0)
    for number, item in enumerate(items):
        if not isinstance(item, str):
            raise fail_for(budget, TypeError(f"sequence item {number}: expected str instance, {type_name(item)} found"))
        length += len(item)
        if length > MAX_STRING_LENGTH:
            break
    budget.check_length(length)
    return text.join(items)  # type: ignore[arg-type]


def _dict_method(mapping: dict, name: str, arguments: Arguments, budget: EvaluationBudget) -> object:
    if name == "get":
        _arity("get", arguments, 1, 2, budget)
        default = arguments[1] if len(arguments) > 1 else None
        return mapping.get(hashable(arguments[0], budget), default)
    _arity(name, arguments, 0, 0, budget)
    budget.spend_conversion(len(mapping))
    if name == "keys":
        return list(mapping)
    if name == "values":
        return list(mapping.values())
    return list(mapping.items())
