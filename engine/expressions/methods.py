"""Method calls on values in JUEL (``${name.startsWith('A')}``): a fixed whitelist by value type.

JUEL in Camunda 7 and Flowable calls any public Java method through reflection; Baton never
does. A call names a method of the tables below, checked when the expression is compiled
(:func:`check_method`), and is dispatched on the type of the value it is called on
(:func:`call_method`): strings, lists, contexts (maps, and Camunda Spin JSON objects), numbers
and booleans. Nothing is looked up by name on a Python object. Java's semantics are kept where
they matter to model authors: ``get``, ``indexOf`` and ``substring`` count from 0, and
``matches``/``split`` take a regular expression (the subset of ``regex``).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_DOWN, Decimal

from engine.expressions import regex
from engine.expressions.limits import EvaluationBudget
from engine.expressions.values import NUMBER_CONTEXT, equal, format_number, format_value, small_integer, type_name

Method = Callable[[EvaluationBudget, object, list[object]], object]


def is_empty_value(value: object) -> bool:
    """JUEL's ``empty``: true for null, ``""``, an empty list and an empty context."""
    return value is None or (isinstance(value, str | list | dict) and len(value) == 0)


def _transform(function: Callable[[str], str]) -> Method:
    def method(budget: EvaluationBudget, receiver: object, args: list[object]) -> object:
        assert isinstance(receiver, str)
        budget.check_length(len(receiver))  # pay for (and bound) the input before building anything
        return budget.check_string(function(receiver))

    return method


def _string_test(test: Callable[[str, str], object]) -> Method:
    def method(budget: EvaluationBudget, receiver: object, args: list[object]) -> object:
        assert isinstance(receiver, str)
        if not isinstance(args[0], str):
            return None
        budget.spend_characters(len(receiver))
        return test(receiver, args[0])

    return method


def _substring(budget: EvaluationBudget, receiver: object, args: list[object]) -> object:
    assert isinstance(receiver, str)
    begin = small_integer(args[0])
    end = small_integer(args[1]) if len(args) > 1 else len(receiver)
    if begin is None or end is None or not 0 <= begin <= end <= len(receiver):
        return None  # Java throws StringIndexOutOfBoundsException
    return budget.check_string(receiver[begin:end])


def _string_index_of(budget: EvaluationBudget, receiver: object, args: list[object]) -> object:
    assert isinstance(receiver, str)
    if not isinstance(args[0], str):
        return None
    budget.spend_characters(len(receiver))
    return Decimal(receiver.find(args[0]))


def _compiled(budget: EvaluationBudget, pattern: object, method: str) -> regex.Program | None:
    if not isinstance(pattern, str):
        return None
    try:
        return regex.compile_pattern(pattern)
    except regex.PatternError as exc:
        budget.fail(f"{method}(): {exc}")


def _matches(budget: EvaluationBudget, receiver: object, args: list[object]) -> object:
    assert isinstance(receiver, str)
    program = _compiled(budget, args[0], "matches")
    return None if program is None else regex.full_match(program, receiver, budget)


def _split(budget: EvaluationBudget, receiver: object, args: list[object]) -> object:
    assert isinstance(receiver, str)
    program = _compiled(budget, args[0], "split")
    return None if program is None else regex.split(program, receiver, budget)


def _replace(budget: EvaluationBudget, receiver: object, args: list[object]) -> object:
    """Java's ``String.replace(target, replacement)``: every literal occurrence."""
    assert isinstance(receiver, str)
    target, replacement = args
    if not (isinstance(target, str) and isinstance(replacement, str)):
        return None
    budget.spend_characters(len(receiver))
    count = receiver.count(target)
    budget.check_length(len(receiver) + count * (len(replacement) - len(target)))
    return receiver.replace(target, replacement)


def _equals_ignore_case(budget: EvaluationBudget, receiver: object, args: list[object]) -> object:
    assert isinstance(receiver, str)
    if not isinstance(args[0], str):
        return False
    budget.spend_characters(len(receiver) + len(args[0]))
    return receiver.casefold() == args[0].casefold()


def _size(budget: EvaluationBudget, receiver: object, args: list[object]) -> object:
    assert isinstance(receiver, str | list | dict)
    return Decimal(len(receiver))


def _is_empty(budget: EvaluationBudget, receiver: object, args: list[object]) -> object:
    return is_empty_value(receiver)


def _list_contains(budget: EvaluationBudget, receiver: object, args: list[object]) -> object:
    assert isinstance(receiver, list)
    budget.spend(len(receiver))
    return any(equal(item, args[0], budget) is True for item in receiver)


def _list_index_of(budget: EvaluationBudget, receiver: object, args: list[object]) -> object:
    assert isinstance(receiver, list)
    for index, item in enumerate(receiver):
        budget.spend()
        if equal(item, args[0], budget) is True:
            return Decimal(index)
    return Decimal(-1)


def _list_get(budget: EvaluationBudget, receiver: object, args: list[object]) -> object:
    assert isinstance(receiver, list)
    index = small_integer(args[0])
    return receiver[index] if index is not None and 0 <= index < len(receiver) else None


def _member(budget: EvaluationBudget, receiver: object, args: list[object]) -> object:
    assert isinstance(receiver, dict)
    return receiver.get(args[0]) if isinstance(args[0], str) else None


def _has_member(budget: EvaluationBudget, receiver: object, args: list[object]) -> object:
    assert isinstance(receiver, dict)
    return isinstance(args[0], str) and args[0] in receiver


def _keys(budget: EvaluationBudget, receiver: object, args: list[object]) -> object:
    assert isinstance(receiver, dict)
    budget.spend(len(receiver))
    return list(receiver)


def _values(budget: EvaluationBudget, receiver: object, args: list[object]) -> object:
    assert isinstance(receiver, dict)
    budget.spend(len(receiver))
    return list(receiver.values())


def _truncated(budget: EvaluationBudget, receiver: object, args: list[object]) -> object:
    assert isinstance(receiver, Decimal)
    return receiver.to_integral_value(rounding=ROUND_DOWN, context=NUMBER_CONTEXT)


def _itself(budget: EvaluationBudget, receiver: object, args: list[object]) -> object:
    return receiver


def _equals(budget: EvaluationBudget, receiver: object, args: list[object]) -> object:
    return equal(receiver, args[0], budget) is True


def _to_string(budget: EvaluationBudget, receiver: object, args: list[object]) -> object:
    if isinstance(receiver, str):
        return receiver
    if isinstance(receiver, Decimal):
        return budget.check_string(format_number(receiver))
    return budget.check_string(format_value(receiver, budget))


def _type_test(name: str) -> Method:
    def method(budget: EvaluationBudget, receiver: object, args: list[object]) -> object:
        return type_name(receiver) == name

    return method


_ANY: dict[str, tuple[int, int, Method]] = {
    "equals": (1, 1, _equals),
    "toString": (0, 0, _to_string),
    # Camunda Spin (SpinJsonNode): JSON values are plain values here.
    "value": (0, 0, _itself),
    "isNull": (0, 0, lambda budget, receiver, args: False),
    "isObject": (0, 0, _type_test("context")),
    "isArray": (0, 0, _type_test("list")),
    "isString": (0, 0, _type_test("string")),
    "isNumber": (0, 0, _type_test("number")),
    "isBoolean": (0, 0, _type_test("boolean")),
    "isValue": (0, 0, lambda budget, receiver, args: isinstance(receiver, str | Decimal | bool)),
}
_STRING: dict[str, tuple[int, int, Method]] = {
    "contains": (1, 1, _string_test(lambda text, part: part in text)),
    "startsWith": (1, 1, _string_test(lambda text, part: text.startswith(part))),
    "endsWith": (1, 1, _string_test(lambda text, part: text.endswith(part))),
    "equalsIgnoreCase": (1, 1, _equals_ignore_case),
    "isEmpty": (0, 0, _is_empty),
    "length": (0, 0, _size),
    "toUpperCase": (0, 0, _transform(str.upper)),
    "toLowerCase": (0, 0, _transform(str.lower)),
    "trim": (0, 0, _transform(str.strip)),
    "substring": (1, 2, _substring),
    "indexOf": (1, 1, _string_index_of),
    "matches": (1, 1, _matches),
    "replace": (2, 2, _replace),
    "split": (1, 1, _split),
    "stringValue": (0, 0, _itself),
}
_LIST: dict[str, tuple[int, int, Method]] = {
    "contains": (1, 1, _list_contains),
    "size": (0, 0, _size),
    "isEmpty": (0, 0, _is_empty),
    "get": (1, 1, _list_get),
    "indexOf": (1, 1, _list_index_of),
    "elements": (0, 0, _itself),
}
_CONTEXT: dict[str, tuple[int, int, Method]] = {
    "containsKey": (1, 1, _has_member),
    "get": (1, 1, _member),
    "size": (0, 0, _size),
    "isEmpty": (0, 0, _is_empty),
    "keySet": (0, 0, _keys),
    "values": (0, 0, _values),
    "prop": (1, 1, _member),
    "hasProp": (1, 1, _has_member),
    "fieldNames": (0, 0, _keys),
}
_NUMBER: dict[str, tuple[int, int, Method]] = {
    "intValue": (0, 0, _truncated),
    "longValue": (0, 0, _truncated),
    "doubleValue": (0, 0, _itself),
    "numberValue": (0, 0, _itself),
}
_BOOLEAN: dict[str, tuple[int, int, Method]] = {"boolValue": (0, 0, _itself)}

_BY_TYPE: dict[str, dict[str, tuple[int, int, Method]]] = {
    "string": _STRING,
    "list": _LIST,
    "context": _CONTEXT,
    "number": _NUMBER,
    "boolean": _BOOLEAN,
}


def _arities() -> dict[str, tuple[int, int]]:
    arities: dict[str, tuple[int, int]] = {}
    for table in (_ANY, *_BY_TYPE.values()):
        for name, (low, high, _method) in table.items():
            known = arities.get(name, (low, high))
            arities[name] = (min(known[0], low), max(known[1], high))
    return arities


METHODS: dict[str, tuple[int, int]] = _arities()
"""Every method that can be called, with the fewest and most arguments it takes on any type."""


def check_method(name: str, count: int) -> str | None:
    """Why ``.name(…)`` with ``count`` arguments cannot be called, or None when it can."""
    arity = METHODS.get(name)
    if arity is None:
        return (
            f"method '{name}' is not available: only the listed methods of strings, lists, maps and numbers "
            "can be called (no Java beans or reflection)"
        )
    low, high = arity
    if not low <= count <= high:
        expected = str(low) if low == high else f"{low} to {high}"
        return f"method '{name}' takes {expected} argument{'' if expected == '1' else 's'}, not {count}"
    return None


def call_method(budget: EvaluationBudget, receiver: object, name: str, args: list[object]) -> object:
    """Call the whitelisted method ``name`` of ``receiver``'s type; null on a null receiver.

    A method that the receiver's type does not have (``numberValue()`` on a string), or a name
    that is not a method at all, raises :class:`ExpressionError`.
    """
    if receiver is None:
        return True if name == "isNull" else None
    kind = type_name(receiver)
    entry = _BY_TYPE.get(kind, {}).get(name) or _ANY.get(name)
    if entry is None:
        budget.fail(f"method '{name}' is not available on a {kind}")
    low, high, method = entry
    if not low <= len(args) <= high:
        budget.fail(f"method '{name}' of a {kind} takes {low} to {high} arguments, not {len(args)}")
    return method(budget, receiver, args)
