"""Tokens → syntax tree, by precedence climbing (a Pratt parser).

Each level of nesting costs a couple of Python frames and one unit of ``MAX_NESTING_DEPTH``,
so hostile input (``((((…))))`` ten thousand deep) fails with an ExpressionError long before
Python's recursion limit. Operator chains of one level are collected into one node.

Precedence, loosest first: JUEL ``? :``; ``or``; ``and``; comparisons, ``between``, ``in`` and
``instance of`` (not chainable); ``+ -``; ``* /``; ``**``; unary ``-``; then ``.member``,
``[filter]`` and calls.
"""

from __future__ import annotations

from typing import NoReturn

from engine.expressions import juel_syntax
from engine.expressions.builtins import BUILTINS
from engine.expressions.errors import ExpressionError
from engine.expressions.lexer import Token
from engine.expressions.limits import MAX_NESTING_DEPTH
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
)

_TERNARY, _OR, _AND, _COMPARISON, _ADDITIVE, _MULTIPLICATIVE, _POWER, _UNARY = range(1, 9)
_COMPARISON_OPERATORS = frozenset({"=", "!=", "<", "<=", ">", ">="})
_ARITHMETIC_LEVELS = {
    "+": _ADDITIVE,
    "-": _ADDITIVE,
    "*": _MULTIPLICATIVE,
    "/": _MULTIPLICATIVE,
    "%": _MULTIPLICATIVE,  # JUEL only: the lexer refuses '%' in FEEL
    "**": _POWER,
}
_LEVEL_OPERATORS = {_ADDITIVE: ("+", "-"), _MULTIPLICATIVE: ("*", "/", "%"), _POWER: ("**",)}
TYPE_NAMES = frozenset({"number", "string", "boolean", "list", "context", "range", "Any", "Null"})
"""Types ``instance of`` accepts."""


def parse(source: str, tokens: list[Token], juel: bool) -> Node:
    """Parse a whole expression; raise :class:`ExpressionError` with the position of a problem."""
    return _Parser(source, tokens, juel).parse()


def describe(token: Token) -> str:
    """A token as an error message names it."""
    if token.kind == "eof":
        return "the end of the expression"
    if token.kind == "string":
        return "a string"
    if token.kind == "number":
        return f"the number {token.text}"
    return f"'{token.text}'"


class _Parser:
    def __init__(self, source: str, tokens: list[Token], juel: bool) -> None:
        self.source = source
        self.tokens = tokens
        self.juel = juel
        self.index = 0
        self.depth = 0
        # False while parsing the end of a range, where '[' closes the range: [1..10[
        self.filters_allowed = True

    # -- helpers -----------------------------------------------------------------------------

    def fail(self, reason: str, pos: int) -> NoReturn:
        raise ExpressionError(self.source, reason, pos)

    def peek(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        if token.kind != "eof":
            self.index += 1
        return token

    def at(self, kind: str, text: str) -> bool:
        token = self.tokens[self.index]
        return token.kind == kind and token.text == text

    def expect(self, kind: str, text: str, where: str) -> Token:
        if not self.at(kind, text):
            token = self.peek()
            self.fail(f"expected '{text}' {where}, but found {describe(token)}", token.pos)
        return self.advance()

    def enter(self, pos: int) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING_DEPTH:
            self.fail(f"the expression is nested deeper than the limit of {MAX_NESTING_DEPTH} levels", pos)

    # -- expressions ---------------------------------------------------------------------------

    def parse(self) -> Node:
        if self.peek().kind == "eof":
            self.fail("the expression is empty", self.peek().pos)
        node = self.expression(0)
        token = self.peek()
        if token.kind != "eof":
            self.fail(f"{describe(token)} is not expected here; an operator or the end was expected", token.pos)
        return node

    def expression(self, binding: int) -> Node:
        """Parse operators that bind tighter than ``binding``."""
        self.enter(self.peek().pos)
        try:
            left = self.prefix()
            while True:
                token = self.peek()
                power = self.infix_power(token)
                if power <= binding:
                    return left
                left = self.infix(left, token, power)
        finally:
            self.depth -= 1

    def infix_power(self, token: Token) -> int:
        if token.kind == "keyword":
            if token.text == "or":
                return _OR
            if token.text == "and":
                return _AND
            if token.text in ("between", "in", "instance of"):
                return _COMPARISON
        elif token.kind == "op":
            if token.text in _COMPARISON_OPERATORS:
                return _COMPARISON
            if token.text in _ARITHMETIC_LEVELS:
                return _ARITHMETIC_LEVELS[token.text]
            if token.text == "?" and self.juel:
                return _TERNARY
        return 0

    def infix(self, left: Node, token: Token, power: int) -> Node:
        if power in (_OR, _AND):
            operands = [left]
            while self.at("keyword", token.text):
                self.advance()
                operands.append(self.expression(power))
            return Logic(token.pos, token.text, tuple(operands))
        if power in _LEVEL_OPERATORS:
            rest = []
            while self.peek().kind == "op" and self.peek().text in _LEVEL_OPERATORS[power]:
                operator = self.advance().text
                rest.append((operator, self.expression(power)))
            return Arithmetic(token.pos, left, tuple(rest))
        if power == _TERNARY:
            self.advance()
            then = self.expression(0)
            self.expect("op", ":", "after the 'then' part of '? :'")
            return If(token.pos, left, then, self.expression(0))
        node = self.comparison(left, token)
        following = self.peek()
        if self.infix_power(following) == _COMPARISON:
            self.fail(
                f"comparisons cannot be chained: {describe(following)} follows a comparison; use 'and' or parentheses",
                following.pos,
            )
        return node

    def comparison(self, left: Node, token: Token) -> Node:
        self.advance()
        if token.kind == "op":
            return Comparison(token.pos, token.text, left, self.expression(_COMPARISON))
        if token.text == "between":
            low = self.expression(_COMPARISON)
            self.expect("keyword", "and", "between the bounds of 'between'")
            return Between(token.pos, left, low, self.expression(_COMPARISON))
        if token.text == "in":
            return In(token.pos, left, self.unary_tests())
        name = self.advance()
        if name.kind != "name" or name.value not in TYPE_NAMES:
            self.fail(f"'instance of' needs a type: one of {', '.join(sorted(TYPE_NAMES))}", name.pos)
        return InstanceOf(token.pos, left, str(name.value))

    def unary_tests(self) -> tuple[UnaryTest, ...]:
        """What follows ``in``: one test, or ``(test, test, …)``, or an open-start range ``(a..b]``."""
        if not self.at("op", "("):
            return (self.unary_test(_COMPARISON),)
        opening = self.advance()
        first = self.unary_test(0)
        if first.operator is None and self.at("op", ".."):
            return (UnaryTest(first.pos, None, self.range_rest(opening.pos, first.operand, False)),)
        tests = [first]
        while self.at("op", ","):
            self.advance()
            tests.append(self.unary_test(0))
        self.expect("op", ")", "to close the list of tests after 'in'")
        return tuple(tests)

    def unary_test(self, binding: int) -> UnaryTest:
        token = self.peek()
        if token.kind == "op" and token.text in ("<", "<=", ">", ">="):
            self.advance()
            return UnaryTest(token.pos, token.text, self.expression(_COMPARISON))
        return UnaryTest(token.pos, None, self.expression(binding))

    # -- operands ------------------------------------------------------------------------------

    def prefix(self) -> Node:
        token = self.advance()
        kind, text = token.kind, token.text
        if kind in ("number", "string"):
            return self.postfix(Literal(token.pos, token.value))
        if kind == "keyword":
            return self.keyword(token)
        if kind == "namespace":
            return self.postfix(juel_syntax.variable_function(self, token))
        if kind == "name":
            if self.juel and text in juel_syntax.PSEUDO_OBJECTS:
                return self.postfix(juel_syntax.pseudo_object(self, token))
            if self.at("op", "("):
                return self.postfix(self.call(token))
            if self.juel and text == "not":
                return Call(token.pos, "not", (self.expression(_UNARY),))
            return self.postfix(Name(token.pos, str(token.value)))
        if kind == "op":
            if text == "-":
                return Negation(token.pos, self.expression(_UNARY))
            if text == "!":
                return Call(token.pos, "not", (self.expression(_UNARY),))
            if text in ("(", "[", "]", "{"):
                saved, self.filters_allowed = self.filters_allowed, True
                try:
                    node = self.bracketed(token)
                finally:
                    self.filters_allowed = saved
                return self.postfix(node)
        if kind == "eof":
            self.fail("the expression ends where an operand was expected", token.pos)
        self.fail(f"{describe(token)} is not expected where an operand was expected", token.pos)

    def keyword(self, token: Token) -> Node:
        text = token.text
        if text in ("true", "false", "null"):
            value = None if text == "null" else text == "true"
            return self.postfix(Literal(token.pos, value))
        if text == "if":
            condition = self.expression(0)
            self.expect("keyword", "then", "after the condition of 'if'")
            then = self.expression(0)
            self.expect("keyword", "else", "after the 'then' part of 'if' (FEEL requires an else part)")
            return If(token.pos, condition, then, self.expression(0))
        if text in ("for", "some", "every"):
            return self.iteration(token)
        if text == "function":
            self.fail("function definitions are not supported", token.pos)
        if text == "empty" and self.juel:
            return Empty(token.pos, self.expression(_UNARY))
        self.fail(f"'{text}' is not expected where an operand was expected", token.pos)

    def iteration(self, token: Token) -> Node:
        iterators: list[tuple[str, Node]] = []
        entered = 0
        try:
            while True:
                name = self.advance()
                if name.kind != "name":
                    self.fail(f"expected a name after '{token.text}', but found {describe(name)}", name.pos)
                self.expect("keyword", "in", f"after '{token.text} {name.value}'")
                domain = self.expression(_COMPARISON)
                if self.at("op", ".."):
                    self.advance()
                    domain = RangeNode(domain.pos, domain, self.expression(_COMPARISON), True, True)
                iterators.append((str(name.value), domain))
                # Each iterator is one more level of loops.
                self.enter(name.pos)
                entered += 1
                if not self.at("op", ","):
                    break
                self.advance()
            keyword = "return" if token.text == "for" else "satisfies"
            self.expect("keyword", keyword, f"after the iteration of '{token.text}'")
            body = self.expression(0)
        finally:
            self.depth -= entered
        return Iteration(token.pos, token.text, tuple(iterators), body)

    def call(self, name: Token) -> Node:
        function = str(name.value)
        builtin = BUILTINS.get(function)
        if builtin is None:
            self.fail(f"unknown function '{function}'; only the built-in functions can be called", name.pos)
        arguments = self.arguments(f"{function}()")
        if not builtin.accepts(len(arguments)):
            self.fail(f"{function}() takes {builtin.arity()}, not {len(arguments)}", name.pos)
        return Call(name.pos, function, arguments)

    def arguments(self, where: str) -> tuple[Node, ...]:
        """``(a, b, …)`` of a call, from the opening parenthesis on."""
        self.expect("op", "(", f"to start the arguments of {where}")
        arguments: list[Node] = []
        saved, self.filters_allowed = self.filters_allowed, True
        try:
            if not self.at("op", ")"):
                while True:
                    token = self.peek()
                    if token.kind == "name" and self.tokens[self.index + 1].text == ":":
                        self.fail("named arguments are not supported; pass the arguments in order", token.pos)
                    arguments.append(self.expression(0))
                    if not self.at("op", ","):
                        break
                    self.advance()
            self.expect("op", ")", f"after the arguments of {where}")
        finally:
            self.filters_allowed = saved
        return tuple(arguments)

    def bracketed(self, token: Token) -> Node:
        if token.text == "{":
            return self.context(token)
        if token.text == "]":
            start = self.expression(0)
            if not self.at("op", ".."):
                self.fail("']' starts a range ]a..b] and must be followed by '..'", self.peek().pos)
            return self.range_rest(token.pos, start, False)
        closing = ")" if token.text == "(" else "]"
        if self.at("op", closing):
            if closing == "]":
                self.advance()
                return ListNode(token.pos, ())
            self.fail("empty parentheses '()' are not an expression", token.pos)
        first = self.expression(0)
        if self.at("op", ".."):
            return self.range_rest(token.pos, first, token.text == "[")
        if closing == ")":
            self.expect("op", ")", "to close '('")
            return first
        items = [first]
        while self.at("op", ","):
            self.advance()
            items.append(self.expression(0))
        self.expect("op", "]", "or ',' in the list")
        return ListNode(token.pos, tuple(items))

    def range_rest(self, pos: int, start: Node, start_included: bool) -> RangeNode:
        """After the start of a range: ``..end`` and the closing ``]`` (closed) or ``)``/``[`` (open)."""
        self.advance()  # ..
        saved, self.filters_allowed = self.filters_allowed, False
        try:
            end = self.expression(0)
        finally:
            self.filters_allowed = saved
        closing = self.advance()
        if closing.kind != "op" or closing.text not in ("]", ")", "["):
            self.fail(f"expected ']', ')' or '[' to close the range, but found {describe(closing)}", closing.pos)
        return RangeNode(pos, start, end, start_included, closing.text == "]")

    def context(self, token: Token) -> Node:
        entries: list[tuple[str, Node]] = []
        keys: set[str] = set()
        if self.at("op", "}"):
            self.advance()
            return ContextNode(token.pos, ())
        while True:
            key = self.advance()
            if key.kind not in ("name", "string", "keyword"):
                self.fail(f"expected a key in the context, but found {describe(key)}", key.pos)
            name = str(key.value)
            if name in keys:
                self.fail(f"the key '{name}' appears twice in the context", key.pos)
            keys.add(name)
            self.expect("op", ":", f"after the key '{name}'")
            entries.append((name, self.expression(0)))
            if not self.at("op", ","):
                break
            self.advance()
        self.expect("op", "}", "or ',' in the context")
        return ContextNode(token.pos, tuple(entries))

    def postfix(self, base: Node) -> Node:
        operations: list[Member | Filter | Index | MethodCall] = []
        while True:
            token = self.peek()
            if token.kind != "op":
                break
            if token.text == ".":
                self.advance()
                name = self.advance()
                if name.kind not in ("name", "keyword"):
                    self.fail(f"expected a name after '.', but found {describe(name)}", name.pos)
                if self.juel:
                    operations.append(juel_syntax.member_or_method(self, name))
                else:
                    operations.append(Member(name.pos, str(name.value)))
            elif token.text == "[" and self.filters_allowed:
                self.advance()
                condition = self.expression(0)
                self.expect("op", "]", "to close the filter '['")
                if self.juel and not isinstance(condition, BOOLEAN_NODES):
                    operations.append(Index(token.pos, condition))
                else:
                    operations.append(Filter(token.pos, condition))
            elif token.text == "(":
                self.fail("only built-in functions can be called, by name", token.pos)
            else:
                break
        return Postfix(base.pos, base, tuple(operations)) if operations else base
