"""The evaluator of the Python dialect: a walk over a checked syntax tree, one step per node.

Only the node types :mod:`engine.expressions.python_check` lets through have a handler. Variables
are looked up by name in comprehension scopes, then the script's own assignments, then the
caller's variables (each copied in once, when first read); builtin functions cannot be read as
values, only called.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator, Mapping

from engine.expressions.errors import ExpressionError
from engine.expressions.limits import MAX_COLLECTION_ITEMS, EvaluationBudget
from engine.expressions.python_builtins import BUILTIN_KEYWORDS, builtin_function, call_method
from engine.expressions.python_operators import (
    binary,
    compare,
    hashable,
    iterate,
    materialize,
    subscript,
    unary,
)
from engine.expressions.python_values import check_collection, fail_for, import_value, to_text, type_name

Locate = Callable[[ast.AST], "int | None"]


class Evaluation:
    """The state of one evaluation: budget, the caller's variables, and what the script assigned."""

    __slots__ = ("assigned", "budget", "imported", "locate", "variables")

    def __init__(self, source: str, variables: Mapping[str, object], locate: Locate) -> None:
        if not isinstance(variables, Mapping):
            raise ExpressionError(source, f"variables must be a mapping, not {type_name(variables)}")
        self.budget = EvaluationBudget(source)
        self.variables = variables
        self.imported: dict[str, object] = {}
        self.assigned: dict[str, object] = {}
        self.locate = locate

    def lookup(self, name: str) -> object:
        """A variable's value: assigned by the script, or the caller's (copied in on first read)."""
        if name in self.assigned:
            return self.assigned[name]
        if name in self.imported:
            return self.imported[name]
        if name in self.variables:
            value = import_value(self.variables[name], self.budget)
            self.imported[name] = value
            return value
        if name in BUILTIN_KEYWORDS:
            self.budget.fail(f"the builtin {name!r} can only be called, not used as a value")
        raise fail_for(self.budget, NameError(f"name {name!r} is not defined"))


class Scope:
    """Names bound by comprehensions, over an enclosing scope or the evaluation itself."""

    __slots__ = ("evaluation", "names", "parent")

    def __init__(self, evaluation: Evaluation, parent: Scope | None = None) -> None:
        self.evaluation = evaluation
        self.parent = parent
        self.names: dict[str, object] = {}

    def lookup(self, name: str) -> object:
        """The value of ``name`` in the innermost scope that binds it."""
        scope: Scope | None = self
        while scope is not None:
            if name in scope.names:
                return scope.names[name]
            scope = scope.parent
        return self.evaluation.lookup(name)


def evaluate(node: ast.AST, scope: Scope) -> object:
    """The value of the expression ``node``; failures carry the position of the innermost node."""
    scope.evaluation.budget.spend()
    try:
        return _HANDLERS[type(node)](node, scope)
    except ExpressionError as error:
        if error.position is None and error.expression == scope.evaluation.budget.source:
            raise ExpressionError(error.expression, error.reason, scope.evaluation.locate(node)) from None
        raise


def _constant(node: ast.Constant, scope: Scope) -> object:
    return node.value


def _name(node: ast.Name, scope: Scope) -> object:
    return scope.lookup(node.id)


def _items(elements: list[ast.expr], scope: Scope) -> list[object]:
    budget = scope.evaluation.budget
    items: list[object] = []
    for element in elements:
        if isinstance(element, ast.Starred):
            items.extend(materialize(evaluate(element.value, scope), budget))
        else:
            items.append(evaluate(element, scope))
        check_collection(len(items), budget)
    return items


def _list(node: ast.List, scope: Scope) -> object:
    return _items(node.elts, scope)


def _tuple(node: ast.Tuple, scope: Scope) -> object:
    return tuple(_items(node.elts, scope))


def _set(node: ast.Set, scope: Scope) -> object:
    budget = scope.evaluation.budget
    return {hashable(item, budget) for item in _items(node.elts, scope)}


def _dict(node: ast.Dict, scope: Scope) -> object:
    budget = scope.evaluation.budget
    result: dict[object, object] = {}
    for key_node, value_node in zip(node.keys, node.values, strict=True):
        if key_node is None:
            mapping = evaluate(value_node, scope)
            if not isinstance(mapping, dict):
                raise fail_for(budget, TypeError(f"'{type_name(mapping)}' object is not a mapping"))
            result.update(mapping)
        else:
            key = hashable(evaluate(key_node, scope), budget)
            result[key] = evaluate(value_node, scope)
        check_collection(len(result), budget)
    return result


def _bool_op(node: ast.BoolOp, scope: Scope) -> object:
    result: object = None
    stop_when = isinstance(node.op, ast.Or)
    for operand in node.values:
        result = evaluate(operand, scope)
        if bool(result) == stop_when:
            return result
    return result


def _bin_op(node: ast.BinOp, scope: Scope) -> object:
    left = evaluate(node.left, scope)
    right = evaluate(node.right, scope)
    return binary(node.op, left, right, scope.evaluation.budget)


def _unary_op(node: ast.UnaryOp, scope: Scope) -> object:
    return unary(node.op, evaluate(node.operand, scope), scope.evaluation.budget)


def _compare(node: ast.Compare, scope: Scope) -> object:
    left = evaluate(node.left, scope)
    for op, right_node in zip(node.ops, node.comparators, strict=True):
        right = evaluate(right_node, scope)
        if not compare(op, left, right, scope.evaluation.budget):
            return False
        left = right
    return True


def _if_exp(node: ast.IfExp, scope: Scope) -> object:
    return evaluate(node.body if evaluate(node.test, scope) else node.orelse, scope)


def _subscript(node: ast.Subscript, scope: Scope) -> object:
    value = evaluate(node.value, scope)
    return subscript(value, evaluate(node.slice, scope), scope.evaluation.budget)


def _slice(node: ast.Slice, scope: Scope) -> object:
    parts = [None if part is None else evaluate(part, scope) for part in (node.lower, node.upper, node.step)]
    for part in parts:
        if part is not None and not isinstance(part, int):
            raise fail_for(
                scope.evaluation.budget,
                TypeError("slice indices must be integers or None or have an __index__ method"),
            )
    return slice(*parts)


def _call(node: ast.Call, scope: Scope) -> object:
    budget = scope.evaluation.budget
    receiver = evaluate(node.func.value, scope) if isinstance(node.func, ast.Attribute) else None
    arguments = [evaluate(argument, scope) for argument in node.args]
    keywords = {keyword.arg: evaluate(keyword.value, scope) for keyword in node.keywords}
    if isinstance(node.func, ast.Attribute):
        return call_method(receiver, node.func.attr, arguments, keywords, budget)  # type: ignore[arg-type]
    return builtin_function(node.func.id)(arguments, keywords, budget)  # type: ignore[attr-defined, arg-type]


def _joined_str(node: ast.JoinedStr, scope: Scope) -> object:
    budget = scope.evaluation.budget
    parts: list[str] = []
    length = 0
    for part in node.values:
        if isinstance(part, ast.FormattedValue):
            value = evaluate(part.value, scope)
            text = value if isinstance(value, str) and part.conversion in (-1, 115) else None
            if text is None:
                text = to_text(value, budget, quoted=part.conversion in (114, 97))
                if part.conversion == 97:
                    text = text.encode("ascii", "backslashreplace").decode("ascii")
        else:
            text = evaluate(part, scope)  # a Constant str
        length += len(text)  # type: ignore[arg-type]
        budget.check_length(length)
        parts.append(text)  # type: ignore[arg-type]
    return "".join(parts)


def bind(target: ast.AST, value: object, names: dict[str, object], budget: EvaluationBudget) -> None:
    """Bind ``value`` to a name or unpack it over a tuple or list of names."""
    if isinstance(target, ast.Name):
        names[target.id] = value
        return
    if not isinstance(target, ast.Tuple | ast.List):
        budget.fail("only names and tuples of names can be bound here")
    items = materialize(value, budget) if not isinstance(value, list | tuple) else value
    expected = len(target.elts)
    if len(items) > expected:
        raise fail_for(budget, ValueError(f"too many values to unpack (expected {expected})"))
    if len(items) < expected:
        raise fail_for(budget, ValueError(f"not enough values to unpack (expected {expected}, got {len(items)})"))
    for element, item in zip(target.elts, items, strict=True):
        bind(element, item, names, budget)


def _generate(generators: list[ast.comprehension], index: int, scope: Scope, items: Iterator[object]) -> Iterator[None]:
    budget = scope.evaluation.budget
    generator = generators[index]
    for item in items:
        bind(generator.target, item, scope.names, budget)
        if all(evaluate(condition, scope) for condition in generator.ifs):
            if index + 1 == len(generators):
                yield None
            else:
                following = generators[index + 1]
                yield from _generate(generators, index + 1, scope, iterate(evaluate(following.iter, scope), budget))


def _loop(generators: list[ast.comprehension], scope: Scope) -> tuple[Scope, Iterator[None]]:
    # As in Python, the first iterable is evaluated in the enclosing scope, right away.
    first = iterate(evaluate(generators[0].iter, scope), scope.evaluation.budget)
    inner = Scope(scope.evaluation, scope)
    return inner, _generate(generators, 0, inner, first)


def _list_comp(node: ast.ListComp | ast.SetComp, scope: Scope) -> object:
    budget = scope.evaluation.budget
    inner, loop = _loop(node.generators, scope)
    items: list[object] = []
    for _ in loop:
        items.append(evaluate(node.elt, inner))
        if len(items) > MAX_COLLECTION_ITEMS:
            budget.check_items(len(items))
    return items


def _set_comp(node: ast.SetComp, scope: Scope) -> object:
    budget = scope.evaluation.budget
    return {hashable(item, budget) for item in _list_comp(node, scope)}  # type: ignore[union-attr]


def _dict_comp(node: ast.DictComp, scope: Scope) -> object:
    budget = scope.evaluation.budget
    inner, loop = _loop(node.generators, scope)
    result: dict[object, object] = {}
    for _ in loop:
        key = hashable(evaluate(node.key, inner), budget)
        result[key] = evaluate(node.value, inner)
        if len(result) > MAX_COLLECTION_ITEMS:
            budget.check_items(len(result), "a dict")
    return result


def _generator_exp(node: ast.GeneratorExp, scope: Scope) -> object:
    inner, loop = _loop(node.generators, scope)

    def items() -> Iterator[object]:
        for _ in loop:
            yield evaluate(node.elt, inner)

    return items()


_HANDLERS: dict[type, Callable[[ast.AST, Scope], object]] = {  # type: ignore[dict-item]
    ast.Constant: _constant,
    ast.Name: _name,
    ast.List: _list,
    ast.Tuple: _tuple,
    ast.Set: _set,
    ast.Dict: _dict,
    ast.BoolOp: _bool_op,
    ast.BinOp: _bin_op,
    ast.UnaryOp: _unary_op,
    ast.Compare: _compare,
    ast.IfExp: _if_exp,
    ast.Subscript: _subscript,
    ast.Slice: _slice,
    ast.Call: _call,
    ast.JoinedStr: _joined_str,
    ast.ListComp: _list_comp,
    ast.SetComp: _set_comp,
    ast.DictComp: _dict_comp,
    ast.GeneratorExp: _generator_exp,
}
