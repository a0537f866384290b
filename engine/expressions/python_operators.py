"""Operators of the Python dialect: arithmetic, comparison, membership, subscripts and iteration.

Each operator checks the size of what it is about to build before Python builds it (``'a' * 10**9``
is refused, not allocated), pays for its work, and turns the exceptions Python raises for invalid
operands into an :class:`ExpressionError` saying what Python would have said.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Iterator
from types import GeneratorType

from engine.expressions.limits import MAX_COLLECTION_ITEMS, EvaluationBudget
from engine.expressions.python_values import (
    check_collection,
    check_integer_bits,
    check_number,
    fail_for,
    type_name,
    weigh,
    weigh_containers,
)

MAX_EXPONENT = 10_000
"""The largest integer exponent of ``**`` for a base other than -1, 0 and 1."""

_ARITHMETIC: dict[type, Callable[[object, object], object]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
    ast.LShift: operator.lshift,
    ast.RShift: operator.rshift,
    ast.BitOr: operator.or_,
    ast.BitXor: operator.xor,
    ast.BitAnd: operator.and_,
}

_ORDERING: dict[type, Callable[[object, object], object]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}

_SEQUENCES = (str, list, tuple)
_ITERABLES = (str, list, tuple, dict, set, frozenset, range, GeneratorType)
_ERRORS = (TypeError, ValueError, ArithmeticError, KeyError, IndexError)


def _is_int(value: object) -> bool:
    return isinstance(value, int)  # bool included, as in Python


def binary(op: ast.operator, left: object, right: object, budget: EvaluationBudget) -> object:
    """``left <op> right`` with Python semantics, refused when the result would exceed a limit."""
    kind = type(op)
    budget.spend()
    if kind is ast.Add:
        if isinstance(left, str) and isinstance(right, str):
            budget.check_length(len(left) + len(right))
        elif isinstance(left, list | tuple) and type(left) is type(right):
            check_collection(len(left) + len(right), budget)  # type: ignore[arg-type]
    elif kind is ast.Mult:
        _check_repetition(left, right, budget)
        _check_repetition(right, left, budget)
    elif kind is ast.Pow and _is_int(left) and _is_int(right):
        _check_power(left, right, budget)  # type: ignore[arg-type]
    elif kind is ast.LShift and _is_int(left) and _is_int(right):
        check_integer_bits(left.bit_length() + max(right, 0), budget)  # type: ignore[union-attr, call-overload]
    elif kind is ast.Mod and isinstance(left, str):
        budget.fail("printf-style string formatting (str % values) is not supported; use an f-string or +")
    elif isinstance(left, set | frozenset | dict) and isinstance(right, set | frozenset | dict):
        check_collection(len(left) + len(right), budget, "a set")
    try:
        result = _ARITHMETIC[kind](left, right)
    except _ERRORS as error:
        raise fail_for(budget, error) from None
    return check_number(result, budget)


def _check_repetition(sequence: object, count: object, budget: EvaluationBudget) -> None:
    if not (isinstance(sequence, _SEQUENCES) and _is_int(count)):
        return
    size = len(sequence) * max(count, 0)  # type: ignore[call-overload]
    if isinstance(sequence, str):
        budget.check_length(size)
    else:
        check_collection(size, budget)


def _check_power(base: int, exponent: int, budget: EvaluationBudget) -> None:
    if exponent < 0 or abs(base) <= 1:
        return
    if exponent > MAX_EXPONENT:
        budget.fail(f"an exponent of {exponent} exceeds the limit of {MAX_EXPONENT}")
    check_integer_bits((abs(base).bit_length() - 1) * exponent, budget)


def unary(op: ast.unaryop, operand: object, budget: EvaluationBudget) -> object:
    """``not``, ``-``, ``+`` and ``~`` with Python semantics."""
    budget.spend()
    if isinstance(op, ast.Not):
        return not operand
    function = {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Invert: operator.invert}[type(op)]
    try:
        return check_number(function(operand), budget)
    except _ERRORS as error:
        raise fail_for(budget, error) from None


def compare(op: ast.cmpop, left: object, right: object, budget: EvaluationBudget) -> bool:
    """One comparison of a (possibly chained) comparison."""
    budget.spend()
    kind = type(op)
    if kind is ast.In:
        return contains(right, left, budget)
    if kind is ast.NotIn:
        return not contains(right, left, budget)
    if kind is ast.Is or kind is ast.IsNot:
        if not (left is None or right is None or isinstance(left, bool) or isinstance(right, bool)):
            budget.fail("'is' compares only with None, True or False; use == to compare values")
        same = left is right
        return same if kind is ast.Is else not same
    weigh_containers(budget, left, right)
    try:
        return bool(_ORDERING[kind](left, right))
    except _ERRORS as error:
        raise fail_for(budget, error) from None


def hashable(key: object, budget: EvaluationBudget) -> object:
    """``key`` after checking that it can be a dict key or set member, paid for."""
    if isinstance(key, tuple | frozenset):
        weigh(key, budget)
    elif isinstance(key, str):
        budget.spend_characters(len(key))
    try:
        hash(key)
    except TypeError as error:
        raise fail_for(budget, error) from None
    return key


def contains(container: object, item: object, budget: EvaluationBudget) -> bool:
    """``item in container`` with Python semantics."""
    if isinstance(container, str):
        if not isinstance(item, str):
            raise fail_for(budget, TypeError(f"'in <string>' requires string as left operand, not {type_name(item)}"))
        budget.spend_characters(len(container))
        return item in container
    if isinstance(container, dict | set | frozenset):
        return hashable(item, budget) in container
    if isinstance(container, list | tuple):
        weigh(container, budget)
        weigh_containers(budget, item)
        return item in container
    if isinstance(container, range):
        if not _is_int(item):
            budget.spend(len(container))
        return item in container
    if isinstance(container, GeneratorType):
        weigh_containers(budget, item)
        for member in iterate(container, budget):
            weigh_containers(budget, member)
            if member == item:
                return True
        return False
    raise fail_for(budget, TypeError(f"argument of type '{type_name(container)}' is not iterable"))


def subscript(value: object, index: object, budget: EvaluationBudget) -> object:
    """``value[index]``; ``index`` may be a ``slice`` of integers."""
    budget.spend()
    if isinstance(value, dict):
        hashable(index, budget)
    elif isinstance(index, slice) and isinstance(value, str | list | tuple | range):
        try:
            size = len(range(len(value))[index])
        except _ERRORS as error:
            raise fail_for(budget, error) from None
        if isinstance(value, str):
            budget.spend_characters(size)
        else:
            budget.spend_conversion(size)
    try:
        return value[index]  # type: ignore[index]
    except _ERRORS as error:
        raise fail_for(budget, error) from None


def iterate(value: object, budget: EvaluationBudget) -> Iterator[object]:
    """The items of ``value`` (keys of a dict), one evaluation step each."""
    if not isinstance(value, _ITERABLES):
        raise fail_for(budget, TypeError(f"'{type_name(value)}' object is not iterable"))
    return _each(value, budget)  # type: ignore[arg-type]


def _each(value: object, budget: EvaluationBudget) -> Iterator[object]:
    for item in value:  # type: ignore[attr-defined]
        budget.spend()
        yield item


def materialize(value: object, budget: EvaluationBudget, what: str = "a list") -> list[object]:
    """The items of ``value`` as a new list, refused beyond ``MAX_COLLECTION_ITEMS`` items."""
    if isinstance(value, list | tuple | dict | set | frozenset | range | str):
        check_collection(len(value), budget, what)
        return list(value)
    items: list[object] = []
    for item in iterate(value, budget):
        items.append(item)
        if len(items) > MAX_COLLECTION_ITEMS:
            budget.check_items(len(items), what)
    return items
