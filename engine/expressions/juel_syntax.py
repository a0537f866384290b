"""The parts of the grammar that exist only inside ``${…}`` / ``#{…}`` (JUEL).

Method calls on values (``name.startsWith('A')``), Camunda's ``execution.getVariable('x')`` and
Flowable's ``variables:get(x)``. Each is checked against a whitelist here, when the expression is
compiled, so a model that names ``getClass()``, ``execution.getProcessInstanceId()`` or a Java
bean is refused at deployment with the name in the reason.
"""

from __future__ import annotations

from typing import Any

from engine.expressions import variable_functions
from engine.expressions.lexer import Token
from engine.expressions.methods import METHODS, check_method
from engine.expressions.nodes import Literal, Member, MethodCall, Name, Node, VariableFunction

# engine.expressions.parser._Parser, which calls this module: not imported, so the two form no cycle.
_Parser = Any

PSEUDO_OBJECTS = frozenset({"execution", "task", "authenticatedUserId", "caseExecution"})
"""Names Camunda 7 binds to engine objects; only ``execution``'s variable getters are offered."""

_REFUSED_MEMBERS = frozenset({"class"})


def member_or_method(parser: _Parser, name: Token) -> Member | MethodCall:
    """After ``.``: a member (``order.id``) or, before ``(``, a whitelisted method call."""
    member = str(name.value)
    if member in _REFUSED_MEMBERS or _is_dunder(member):
        parser.fail(
            f"property '{member}' is not available: JUEL expressions in Baton read JSON members only; "
            f"write ['{member}'] to read a member of that name",
            name.pos,
        )
    if not parser.at("op", "("):
        return Member(name.pos, member)
    if member not in METHODS:  # named before its arguments are read
        parser.fail(str(check_method(member, 0)), name.pos)
    arguments = parser.arguments(f"{member}()")
    reason = check_method(member, len(arguments))
    if reason is not None:
        parser.fail(reason, name.pos)
    return MethodCall(name.pos, member, arguments)


def pseudo_object(parser: _Parser, token: Token) -> Node:
    """``execution.getVariable(name)`` and friends; other uses of Camunda's objects are refused."""
    name = str(token.value)
    if name == "task" and not _method_follows(parser):
        return Name(token.pos, name)  # a variable called task; Camunda's task object has only methods here
    if name == "execution" and _method_follows(parser):
        parser.advance()  # .
        method = parser.advance()
        function = variable_functions.EXECUTION_METHODS.get(str(method.value))
        if function is None:
            parser.fail(
                f"execution.{method.value}() is not supported: only execution.getVariable(name), "
                "execution.getVariableLocal(name) and execution.hasVariable(name) can be used",
                method.pos,
            )
        arguments = parser.arguments(f"execution.{method.value}()")
        if len(arguments) != 1:
            parser.fail(f"execution.{method.value}() takes 1 argument, not {len(arguments)}", method.pos)
        return VariableFunction(token.pos, function, arguments[0], ())
    parser.fail(
        f"'{name}' is an object of the Camunda engine, which Baton expressions cannot reach; "
        "read variables by name, or with execution.getVariable(name)",
        token.pos,
    )


def variable_function(parser: _Parser, token: Token) -> Node:
    """Flowable's ``variables:get(myVar)``: the first argument is a name, bare or quoted."""
    function = variable_functions.canonical(str(token.value))
    if function is None:
        known = ", ".join(sorted(variable_functions.FUNCTIONS))
        parser.fail(f"unknown function '{token.text}'; the variable functions are {known}", token.pos)
    parser.expect("op", "(", f"after {token.text}")
    first = parser.advance()
    if first.kind not in ("name", "string") or parser.peek().text not in (",", ")"):
        parser.fail(
            f"the first argument of {token.text}() is a variable name, written bare or quoted: "
            f"{token.text}(myVar) or {token.text}('myVar')",
            first.pos,
        )
    variable = Literal(first.pos, str(first.value))
    rest = _rest_arguments(parser, token.text)
    low, high = variable_functions.FUNCTIONS[function]
    if len(rest) < low or (high is not None and len(rest) > high):
        if high is None:
            expected = f"at least {low + 1}"
        else:
            expected = str(low + 1) if low == high else f"{low + 1} to {high + 1}"
        parser.fail(f"{token.text}() takes {expected} arguments, not {len(rest) + 1}", token.pos)
    return VariableFunction(token.pos, function, variable, rest)


def _rest_arguments(parser: _Parser, where: str) -> tuple[Node, ...]:
    arguments: list[Node] = []
    saved, parser.filters_allowed = parser.filters_allowed, True
    try:
        while parser.at("op", ","):
            parser.advance()
            arguments.append(parser.expression(0))
        parser.expect("op", ")", f"after the arguments of {where}()")
    finally:
        parser.filters_allowed = saved
    return tuple(arguments)


def _method_follows(parser: _Parser) -> bool:
    tokens, index = parser.tokens, parser.index
    return (
        tokens[index].text == "."
        and index + 2 < len(tokens)
        and tokens[index + 1].kind in ("name", "keyword")
        and tokens[index + 2].text == "("
    )


def _is_dunder(name: str) -> bool:
    return name.startswith("__") or name.endswith("__")
