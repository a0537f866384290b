"""The syntax tree of an expression: immutable nodes, each with its position in the source.

Chains of operators of one precedence level (``a + b - c``, ``a and b and c``) and chains of
postfix operations (``a.b[1].c``) are single nodes holding a sequence, so that long expressions
stay shallow trees: their depth is bounded by ``MAX_NESTING_DEPTH`` and never by their length.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Node:
    """Base of all nodes: ``pos`` is the 0-based offset of the node in the source text."""

    pos: int


@dataclass(frozen=True, slots=True)
class Literal(Node):
    """``null``, ``true``, ``false``, a number (``Decimal``) or a string."""

    value: object


@dataclass(frozen=True, slots=True)
class Name(Node):
    """A variable, a member of a context in a filter, or a name bound by ``for``/``some``/``every``."""

    name: str


@dataclass(frozen=True, slots=True)
class ListNode(Node):
    """``[a, b, c]``."""

    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class ContextNode(Node):
    """``{key: value, "other key": value}``; later entries may refer to earlier ones by name."""

    entries: tuple[tuple[str, Node], ...]


@dataclass(frozen=True, slots=True)
class RangeNode(Node):
    """``[a..b]``, ``(a..b)``, ``]a..b[`` and mixed ends; also ``for i in a..b`` (both ends closed)."""

    start: Node
    end: Node
    start_included: bool
    end_included: bool


@dataclass(frozen=True, slots=True)
class Member(Node):
    """``.name``: a context member, or the member of every context in a list."""

    name: str


@dataclass(frozen=True, slots=True)
class Filter(Node):
    """``[expression]``: a 1-based index when the expression is a number, else a condition per item."""

    condition: Node


@dataclass(frozen=True, slots=True)
class Postfix(Node):
    """A base followed by a chain of member accesses and filters: ``order.items[price > 10].name``."""

    base: Node
    operations: tuple[Member | Filter | Index | MethodCall, ...]


@dataclass(frozen=True, slots=True)
class Call(Node):
    """A call of a built-in function by its (possibly multi-word) name."""

    function: str
    arguments: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Negation(Node):
    """Arithmetic ``-operand``."""

    operand: Node


@dataclass(frozen=True, slots=True)
class Arithmetic(Node):
    """``first op operand op operand …`` for one level: ``+ -``, ``* /`` or ``**``; left-associative."""

    first: Node
    rest: tuple[tuple[str, Node], ...]


@dataclass(frozen=True, slots=True)
class Logic(Node):
    """``a and b and …`` or ``a or b or …`` with FEEL's three-valued logic."""

    operator: str
    operands: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Comparison(Node):
    """``left op right`` for ``= != < <= > >=``."""

    operator: str
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Between(Node):
    """``value between low and high`` (both ends included)."""

    value: Node
    low: Node
    high: Node


@dataclass(frozen=True, slots=True)
class UnaryTest(Node):
    """One positive unary test after ``in``: ``< 5`` (operator set) or an expression (operator None)."""

    operator: str | None
    operand: Node


@dataclass(frozen=True, slots=True)
class In(Node):
    """``value in test`` or ``value in (test, test, …)``: true when any test is satisfied."""

    value: Node
    tests: tuple[UnaryTest, ...]


@dataclass(frozen=True, slots=True)
class InstanceOf(Node):
    """``value instance of type``."""

    value: Node
    type_name: str


@dataclass(frozen=True, slots=True)
class If(Node):
    """``if condition then a else b``: ``b`` unless the condition is true."""

    condition: Node
    then: Node
    otherwise: Node


@dataclass(frozen=True, slots=True)
class Iteration(Node):
    """``for``/``some``/``every`` over ``name in domain, …``; ``kind`` is ``for``, ``some`` or ``every``."""

    kind: str
    iterators: tuple[tuple[str, Node], ...]
    body: Node


BOOLEAN_NODES = (Comparison, Logic, Between, In, InstanceOf)
"""Conditions of these kinds are booleans, so ``[…]`` with one is always a filter, never an index."""


# -- JUEL only (inside ${…} or #{…}) -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MethodCall(Node):
    """``.name(arguments)`` in a postfix chain: a method of the whitelist, chosen by the value's type."""

    name: str
    arguments: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Index(Node):
    """``[key]`` as JUEL reads it: a member of a context by name, an item of a list from 0."""

    key: Node


@dataclass(frozen=True, slots=True)
class Empty(Node):
    """JUEL ``empty x``: true for null, ``""``, an empty list and an empty context."""

    operand: Node


@dataclass(frozen=True, slots=True)
class VariableFunction(Node):
    """A function over a process variable named by ``name`` (a string-valued node).

    Flowable's ``variables:get(x)``, ``variables:exists(x)``… and Camunda's
    ``execution.getVariable('x')``; ``function`` is the canonical Flowable name.
    """

    function: str
    name: Node
    arguments: tuple[Node, ...]
