"""Evaluate a syntax tree over a process instance's variables.

Variables are decoded JSON; a path such as ``order.customer.name`` walks the JSON objects and
converts only the value it ends at. Names resolve through the frames opened by ``for``,
``some``, ``every``, filters and context literals, then the variables. Values are only ever
indexed as dicts and lists: no Python attribute is reachable. Invalid operations give null;
only limits raise (:class:`ExpressionError`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal, DecimalException
from typing import Any

from engine.expressions import variable_functions
from engine.expressions.builtins import BUILTINS, IS_DEFINED
from engine.expressions.errors import ExpressionError
from engine.expressions.limits import MAX_EVALUATION_STEPS, EvaluationBudget
from engine.expressions.list_functions import as_list
from engine.expressions.methods import call_method, is_empty_value
from engine.expressions.nodes import (
    BOOLEAN_NODES,
    Arithmetic,
    Between,
    Call,
    Comparison,
    ContextNode,
    Empty,
    Filter,
    If,
    In,
    Index,
    InstanceOf,
    Iteration,
    ListNode,
    Literal,
    Logic,
    Member,
    MethodCall,
    Name,
    Negation,
    Node,
    Postfix,
    RangeNode,
    UnaryTest,
    VariableFunction,
)
from engine.expressions.values import (
    NUMBER_CONTEXT,
    FeelRange,
    compare,
    equal,
    range_items,
    small_integer,
    to_feel,
    type_name,
)

_ORDER_TESTS: dict[str, Callable[[int], bool]] = {
    "<": lambda order: order < 0,
    "<=": lambda order: order <= 0,
    ">": lambda order: order > 0,
    ">=": lambda order: order >= 0,
}
_NO_MEMBERS: Mapping[str, object] = {}


class _NotIterable(Exception):
    """A domain of for/some/every is not a list or a range of integers: the result is null."""


def evaluate_tree(root: Node, source: str, variables: Mapping[str, object]) -> object:
    """Evaluate a compiled expression; ``source`` is named in errors."""
    return _Evaluator(variables, EvaluationBudget(source)).evaluate(root)


class _Evaluator:
    def __init__(self, variables: Mapping[str, object], budget: EvaluationBudget) -> None:
        self.variables = variables
        self.budget = budget
        self.frames: list[Mapping[str, object]] = []
        self.converted: dict[str, object] = {}
        self.converted_paths: dict[tuple[str, ...], object] = {}

    def evaluate(self, node: Node) -> object:
        budget = self.budget
        budget.steps += 1
        if budget.steps > MAX_EVALUATION_STEPS:
            budget.spend(0)
        budget.position = node.pos
        return _HANDLERS[type(node)](self, node)

    # -- names and paths -----------------------------------------------------------------------

    def is_local(self, name: str) -> bool:
        return any(name in frame for frame in self.frames)

    def lookup(self, name: str) -> object:
        for frame in reversed(self.frames):
            if name in frame:
                return frame[name]
        if name in self.converted:
            return self.converted[name]
        if name not in self.variables:
            return None
        value = self.convert(self.variables[name])
        self.converted[name] = value
        return value

    def convert(self, raw: object) -> object:
        try:
            return to_feel(raw, self.budget)
        except ExpressionError as exc:
            self.budget.fail(f"a variable cannot be used: {exc.reason}")

    def name(self, node: Name) -> object:
        return self.lookup(node.name)

    def postfix(self, node: Postfix) -> object:
        operations = node.operations
        done = 0
        base = node.base
        if isinstance(base, Name) and not self.is_local(base.name) and base.name not in self.converted:
            # Walk the variable's JSON objects and convert only what the path ends at (once).
            raw = self.variables.get(base.name)
            walked = [base.name]
            while done < len(operations) and isinstance(raw, dict):
                operation = operations[done]
                if not isinstance(operation, Member):
                    break
                self.budget.spend()
                raw = raw.get(operation.name)
                walked.append(operation.name)
                done += 1
            path = tuple(walked)
            if path not in self.converted_paths:
                self.converted_paths[path] = self.convert(raw)
            value = self.converted_paths[path]
        else:
            value = self.evaluate(base)
        for operation in operations[done:]:
            self.budget.spend()
            value = self.operation(value, operation)
        return value

    def operation(self, value: object, operation: Member | Filter | Index | MethodCall) -> object:
        """Apply one postfix operation: ``.member``, ``[filter]``, JUEL's ``[key]`` or ``.method(…)``."""
        if isinstance(operation, Member):
            return self.member(value, operation.name)
        if isinstance(operation, Filter):
            return self.filter(value, operation)[1]
        if isinstance(operation, Index):
            return _index(value, self.evaluate(operation.key))
        arguments = [self.evaluate(argument) for argument in operation.arguments]
        self.budget.position = operation.pos
        return call_method(self.budget, value, operation.name, arguments)

    def member(self, value: object, name: str) -> object:
        if isinstance(value, dict):
            return value.get(name)
        if isinstance(value, list):
            self.budget.spend(len(value))
            return [item.get(name) if isinstance(item, dict) else None for item in value]
        return None

    def filter(self, value: object, operation: Filter) -> tuple[bool, object]:
        """Apply ``[condition]``; the flag is False when an index points outside the list."""
        if value is None:
            return False, None
        items = as_list(value, self.budget) if isinstance(value, list | FeelRange) else [value]
        if items is None:
            return False, None
        condition = operation.condition
        if not isinstance(condition, BOOLEAN_NODES):
            probe = self.evaluate(condition)
            if isinstance(probe, Decimal):
                return _pick(items, probe)
        kept = []
        frames = self.frames
        for item in items:
            self.budget.spend()
            frames.append(item if isinstance(item, dict) else _NO_MEMBERS)
            frames.append({"item": item})
            try:
                keep = self.evaluate(condition) is True
            finally:
                del frames[-2:]
            if keep:
                kept.append(item)
        return True, kept

    def is_defined(self, node: Node) -> bool:
        """``is defined(x)``: whether a name or path exists, even when its value is null."""
        if isinstance(node, Name):
            return self.is_local(node.name) or node.name in self.converted or node.name in self.variables
        if not isinstance(node, Postfix):
            return True
        if isinstance(node.base, Name) and not self.is_defined(node.base):
            return False
        value = self.evaluate(node.base)
        for operation in node.operations:
            self.budget.spend()
            if isinstance(operation, Filter):
                found, value = self.filter(value, operation)
                if not found:
                    return False
            elif isinstance(value, dict) and isinstance(operation, Member):
                if operation.name not in value:
                    return False
                value = value[operation.name]
            elif not isinstance(operation, Member):
                value = self.operation(value, operation)
            elif isinstance(value, list):
                value = self.member(value, operation.name)
            else:
                return False
        return True

    # -- values --------------------------------------------------------------------------------

    def literal(self, node: Literal) -> object:
        return node.value

    def list_node(self, node: ListNode) -> object:
        return [self.evaluate(item) for item in node.items]

    def context_node(self, node: ContextNode) -> object:
        entries: dict[str, object] = {}
        # Later entries may refer to earlier ones: {a: 1, b: a + 1}.
        self.frames.append(entries)
        try:
            for key, value in node.entries:
                entries[key] = self.evaluate(value)
        finally:
            self.frames.pop()
        return entries

    def range_node(self, node: RangeNode) -> object:
        start, end = self.evaluate(node.start), self.evaluate(node.end)
        if (isinstance(start, Decimal) and isinstance(end, Decimal)) or (
            isinstance(start, str) and isinstance(end, str)
        ):
            return FeelRange(start, end, node.start_included, node.end_included)
        return None

    def call(self, node: Call) -> object:
        if node.function == IS_DEFINED:
            return self.is_defined(node.arguments[0])
        arguments = [self.evaluate(argument) for argument in node.arguments]
        self.budget.position = node.pos
        return BUILTINS[node.function].function(self.budget, arguments)

    # -- operators -----------------------------------------------------------------------------

    def negation(self, node: Negation) -> object:
        value = self.evaluate(node.operand)
        return value.copy_negate() if isinstance(value, Decimal) else None

    def arithmetic(self, node: Arithmetic) -> object:
        value = self.evaluate(node.first)
        for operator, operand in node.rest:
            value = self.operate(operator, value, self.evaluate(operand))
        return value

    def operate(self, operator: str, left: object, right: object) -> object:
        if isinstance(left, Decimal) and isinstance(right, Decimal):
            if right.is_zero() and operator in ("/", "%"):
                return None
            try:
                if operator == "+":
                    return NUMBER_CONTEXT.add(left, right)
                if operator == "-":
                    return NUMBER_CONTEXT.subtract(left, right)
                if operator == "*":
                    return NUMBER_CONTEXT.multiply(left, right)
                if operator == "/":
                    return NUMBER_CONTEXT.divide(left, right)
                if operator == "%":  # JUEL: Java's remainder, with the sign of the dividend
                    return NUMBER_CONTEXT.remainder(left, right)
                return NUMBER_CONTEXT.power(left, right)
            except DecimalException:
                return None  # overflow, or an invalid power such as (-8) ** 0.5
        if operator == "+" and isinstance(left, str) and isinstance(right, str):
            self.budget.check_length(len(left) + len(right))
            return left + right
        return None

    def empty(self, node: Empty) -> object:
        return is_empty_value(self.evaluate(node.operand))

    def variable_function(self, node: VariableFunction) -> object:
        name = self.evaluate(node.name)
        arguments = [self.evaluate(argument) for argument in node.arguments]
        self.budget.position = node.pos
        if not isinstance(name, str):
            return variable_functions.apply(self.budget, node.function, False, None, arguments)
        exists = self.is_local(name) or name in self.converted or name in self.variables
        return variable_functions.apply(self.budget, node.function, exists, self.lookup(name), arguments)

    def logic(self, node: Logic) -> object:
        decisive = node.operator == "or"  # or: one true decides; and: one false decides
        unknown = False
        for operand in node.operands:
            value = self.evaluate(operand)
            if value is decisive:
                return decisive
            if value is not (not decisive):
                unknown = True
        return None if unknown else not decisive

    def comparison(self, node: Comparison) -> object:
        left, right = self.evaluate(node.left), self.evaluate(node.right)
        if node.operator == "=":
            return equal(left, right, self.budget)
        if node.operator == "!=":
            same = equal(left, right, self.budget)
            return None if same is None else not same
        order = compare(left, right, self.budget)
        return None if order is None else _ORDER_TESTS[node.operator](order)

    def between(self, node: Between) -> object:
        value, low, high = self.evaluate(node.value), self.evaluate(node.low), self.evaluate(node.high)
        above, below = compare(value, low, self.budget), compare(value, high, self.budget)
        if (above is not None and above < 0) or (below is not None and below > 0):
            return False
        return None if above is None or below is None else True

    def in_node(self, node: In) -> object:
        value = self.evaluate(node.value)
        unknown = False
        for test in node.tests:
            result = self.unary_test(value, test)
            if result is True:
                return True
            if result is None:
                unknown = True
        return None if unknown else False

    def unary_test(self, value: object, test: UnaryTest) -> bool | None:
        operand = self.evaluate(test.operand)
        if test.operator is not None:
            order = compare(value, operand, self.budget)
            return None if order is None else _ORDER_TESTS[test.operator](order)
        if isinstance(operand, FeelRange):
            return operand.contains(value, self.budget)
        if isinstance(operand, list):
            self.budget.spend(len(operand))
            return any(equal(value, item, self.budget) is True for item in operand)
        return equal(value, operand, self.budget) is True

    def instance_of(self, node: InstanceOf) -> object:
        value = self.evaluate(node.value)
        if node.type_name == "Any":
            return value is not None
        if node.type_name == "Null":
            return value is None
        return type_name(value) == node.type_name

    def if_node(self, node: If) -> object:
        if self.evaluate(node.condition) is True:
            return self.evaluate(node.then)
        return self.evaluate(node.otherwise)

    def iteration(self, node: Iteration) -> object:
        frame: dict[str, object] = {}
        self.frames.append(frame)
        try:
            bindings = self.bindings(node.iterators, 0, frame)
            if node.kind == "for":
                return [self.evaluate(node.body) for _ in bindings]
            if node.kind == "some":
                return any(self.evaluate(node.body) is True for _ in bindings)
            return all(self.evaluate(node.body) is True for _ in bindings)
        except _NotIterable:
            return None
        finally:
            self.frames.pop()

    def bindings(self, iterators: tuple[tuple[str, Node], ...], index: int, frame: dict[str, object]) -> Iterator[None]:
        name, domain = iterators[index]
        last = index == len(iterators) - 1
        for item in self.domain(domain):
            self.budget.spend()
            frame[name] = item
            if last:
                yield
            else:
                yield from self.bindings(iterators, index + 1, frame)

    def domain(self, node: Node) -> list[object]:
        value = self.evaluate(node)
        if isinstance(value, list):
            return value
        if isinstance(value, FeelRange):
            items = range_items(value.start, value.end, value.start_included, value.end_included, self.budget)
            if items is not None:
                return items
        raise _NotIterable


def _index(value: object, key: object) -> object:
    """JUEL's ``value[key]``: a context's member by name, a list's item from 0; else null."""
    if isinstance(value, dict):
        return value.get(key) if isinstance(key, str) else None
    if isinstance(value, list):
        position = small_integer(key)
        return value[position] if position is not None and 0 <= position < len(value) else None
    return None


def _pick(items: list[object], index: Decimal) -> tuple[bool, object]:
    """``list[index]``: 1-based, negative from the end; (False, null) outside the list."""
    position = small_integer(index)
    if position is None:
        return False, None
    if 0 < position <= len(items):
        return True, items[position - 1]
    if -len(items) <= position < 0:
        return True, items[position]
    return False, None


_HANDLERS: dict[type, Callable[[_Evaluator, Any], object]] = {
    Literal: _Evaluator.literal,
    Name: _Evaluator.name,
    ListNode: _Evaluator.list_node,
    ContextNode: _Evaluator.context_node,
    RangeNode: _Evaluator.range_node,
    Postfix: _Evaluator.postfix,
    Call: _Evaluator.call,
    Negation: _Evaluator.negation,
    Arithmetic: _Evaluator.arithmetic,
    Logic: _Evaluator.logic,
    Comparison: _Evaluator.comparison,
    Between: _Evaluator.between,
    In: _Evaluator.in_node,
    InstanceOf: _Evaluator.instance_of,
    If: _Evaluator.if_node,
    Iteration: _Evaluator.iteration,
    Empty: _Evaluator.empty,
    VariableFunction: _Evaluator.variable_function,
}
