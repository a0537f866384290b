"""Syntax tree → FEEL text that parses back to an equivalent tree.

Used to show a normalised form of an expression (JUEL aliases become FEEL) and by the property
tests (print, re-parse, same value). Operands that are not atoms are put in parentheses, so the
output never depends on precedence.
"""

from __future__ import annotations

import re
from decimal import Decimal

from engine.expressions.lexer import KEYWORDS
from engine.expressions.nodes import (
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
    VariableFunction,
)
from engine.expressions.values import format_number, quote

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def to_text(node: Node) -> str:
    """The FEEL text of a syntax tree."""
    if isinstance(node, Literal):
        return _literal(node.value)
    if isinstance(node, Name):
        return _name(node.name)
    if isinstance(node, ListNode):
        return "[" + ", ".join(to_text(item) for item in node.items) + "]"
    if isinstance(node, ContextNode):
        return "{" + ", ".join(f"{quote(key)}: {to_text(value)}" for key, value in node.entries) + "}"
    if isinstance(node, RangeNode):
        opening = "[" if node.start_included else "("
        closing = "]" if node.end_included else ")"
        return f"{opening}{_bound(node.start)}..{_bound(node.end)}{closing}"
    if isinstance(node, Postfix):
        return _operand(node.base) + "".join(_postfix(operation) for operation in node.operations)
    if isinstance(node, Call):
        return node.function + "(" + ", ".join(to_text(argument) for argument in node.arguments) + ")"
    if isinstance(node, Negation):
        return "-" + _operand(node.operand)
    if isinstance(node, Arithmetic):
        return _arithmetic(node)
    if isinstance(node, Logic):
        return f" {node.operator} ".join(_operand(operand) for operand in node.operands)
    if isinstance(node, Comparison):
        return f"{_operand(node.left)} {node.operator} {_operand(node.right)}"
    if isinstance(node, Between):
        return f"{_operand(node.value)} between {_operand(node.low)} and {_operand(node.high)}"
    if isinstance(node, In):
        tests = [(test.operator + " " if test.operator else "") + _operand(test.operand) for test in node.tests]
        return f"{_operand(node.value)} in ({', '.join(tests)})"
    if isinstance(node, InstanceOf):
        return f"{_operand(node.value)} instance of {node.type_name}"
    if isinstance(node, If):
        return f"if {to_text(node.condition)} then {to_text(node.then)} else {to_text(node.otherwise)}"
    if isinstance(node, Empty):
        return "empty " + _operand(node.operand)
    if isinstance(node, VariableFunction):
        arguments = ", ".join(to_text(argument) for argument in (node.name, *node.arguments))
        return f"variables:{node.function}({arguments})"
    if isinstance(node, Iteration):
        iterators = ", ".join(f"{_name(name)} in {_operand(domain)}" for name, domain in node.iterators)
        keyword = "return" if node.kind == "for" else "satisfies"
        return f"{node.kind} {iterators} {keyword} {to_text(node.body)}"
    raise TypeError(f"not a syntax tree node: {type(node).__name__}")


_LEVELS = {"+": 1, "-": 1, "*": 2, "/": 2, "%": 2, "**": 3}


def _arithmetic(node: Arithmetic) -> str:
    # Evaluation is left to right; where the level changes, parentheses keep it so: (a + b) * c.
    text = _operand(node.first)
    level = None
    for operator, operand in node.rest:
        if level is not None and _LEVELS[operator] != level:
            text = f"({text})"
        level = _LEVELS[operator]
        text += f" {operator} {_operand(operand)}"
    return text


def _literal(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        text = format_number(value.copy_abs())
        return f"(-{text})" if value.is_signed() and not value.is_zero() else text
    if isinstance(value, str):
        return quote(value)
    raise TypeError(f"not a literal value: {type(value).__name__}")


def _name(name: str) -> str:
    if _IDENTIFIER.fullmatch(name) and name not in KEYWORDS:
        return name
    return f"`{name}`"


def _postfix(operation: Member | Filter | Index | MethodCall) -> str:
    if isinstance(operation, Member):
        return "." + _name(operation.name)
    if isinstance(operation, MethodCall):
        return f".{operation.name}(" + ", ".join(to_text(argument) for argument in operation.arguments) + ")"
    if isinstance(operation, Index):
        return "[" + to_text(operation.key) + "]"
    return "[" + to_text(operation.condition) + "]"


def _operand(node: Node) -> str:
    text = to_text(node)
    atomic = isinstance(node, Name | ListNode | ContextNode | RangeNode | Call | Postfix | VariableFunction) or (
        isinstance(node, Literal) and not text.startswith("(")
    )
    return text if atomic else f"({text})"


def _bound(node: Node) -> str:
    # In "[1..end[" a '[' after the end closes the range, so anything but a plain literal or name
    # (a filter, say) goes in parentheses.
    text = to_text(node)
    simple = isinstance(node, Name) or (isinstance(node, Literal) and not text.startswith("("))
    return text if simple else f"({text})"
