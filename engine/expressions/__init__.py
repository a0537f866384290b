"""Baton's expression language: a documented, sandboxed subset of FEEL (Zeebe dialect).

Conditions of sequence flows, correlation keys, timer values, input/output mappings and
user-task assignments are expressions over a process instance's variables. An attribute that
starts with ``=`` (Zeebe style) or is a whole ``${…}`` or ``#{…}`` (Camunda 7 / Flowable JUEL style) is an
expression; see ``docs/expressions.md`` for the language.

Nothing here uses ``eval``/``exec``/``compile`` or Python attribute access: the parser builds a
small syntax tree, the evaluator walks it over plain values, and every cost is bounded
(``limits``). Evaluation results are FEEL values; :func:`to_json` makes them storable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from engine.expressions.errors import ExpressionError
from engine.expressions.evaluator import evaluate_tree
from engine.expressions.lexer import bracket_depth, tokenize
from engine.expressions.limits import (
    MAX_COLLECTION_ITEMS,
    MAX_EVALUATION_STEPS,
    MAX_EXPRESSION_LENGTH,
    MAX_NESTING_DEPTH,
    MAX_STRING_LENGTH,
    MAX_VALUE_DEPTH,
)
from engine.expressions.nodes import Node
from engine.expressions.parser import parse
from engine.expressions.printer import to_text
from engine.expressions.python import PythonExpression, compile_python
from engine.expressions.values import FeelRange, to_feel, to_json

__all__ = [
    "COMPILED_CACHE_SIZE",
    "FEEL",
    "JUEL",
    "MAX_COLLECTION_ITEMS",
    "MAX_EVALUATION_STEPS",
    "MAX_EXPRESSION_LENGTH",
    "MAX_NESTING_DEPTH",
    "MAX_STRING_LENGTH",
    "MAX_VALUE_DEPTH",
    "PYTHON",
    "Expression",
    "ExpressionError",
    "FeelRange",
    "PythonAsFeel",
    "compile_expression",
    "evaluate",
    "is_expression",
    "to_feel",
    "to_json",
]

COMPILED_CACHE_SIZE = 1024
"""Compiled expressions kept by :func:`evaluate` (least recently used ones are dropped)."""


@dataclass(frozen=True)
class Expression:
    """A compiled expression. Immutable, so one instance can be shared between threads."""

    source: str
    root: Node = field(repr=False, compare=False)
    dialect: str = "feel"
    """``feel`` (``=…`` or bare text) or ``juel`` (``${…}`` or ``#{…}``)."""

    def evaluate(self, variables: Mapping[str, object]) -> object:
        """Evaluate over ``variables`` (decoded JSON values by name); return a FEEL value.

        Invalid operations yield ``None`` (null); exceeding a limit raises :class:`ExpressionError`.
        """
        return evaluate_tree(self.root, self.source, variables)

    def to_feel_text(self) -> str:
        """The expression as normalised FEEL text (JUEL aliases replaced, full parentheses).

        JUEL-only constructs (method calls, ``[key]``, ``empty``, ``%``, variable functions) keep
        their JUEL form, so such a text parses back only inside ``${…}``.
        """
        return to_text(self.root)


def is_expression(text: str) -> bool:
    """Whether a model attribute is an expression: a leading ``=``, or a whole ``${…}`` or ``#{…}``.

    ``#{…}`` (JUEL's deferred evaluation) means exactly what ``${…}`` means. Anything else is a
    literal value (a plain message name, a fixed timer duration…).
    """
    if not isinstance(text, str):
        return False
    stripped = text.strip()
    return stripped.startswith("=") or (stripped.startswith(("${", "#{")) and stripped.endswith("}"))


def template_parts(text: str) -> list[tuple[bool, str]]:
    """Split a JUEL composite text (``Hello ${name}!``) into (is_expression, text) parts.

    Each ``${…}``/``#{…}`` part is kept whole (braces inside string literals and nested braces
    do not end it); an unclosed one is text. Camunda 7 evaluates such a text to a string.
    """
    parts: list[tuple[bool, str]] = []
    literal: list[str] = []
    i = 0
    while i < len(text):
        end = _closing_brace(text, i + 2) if text.startswith(("${", "#{"), i) else -1
        if end < 0:
            literal.append(text[i])
            i += 1
            continue
        if literal:
            parts.append((False, "".join(literal)))
            literal = []
        parts.append((True, text[i : end + 1]))
        i = end + 1
    if literal:
        parts.append((False, "".join(literal)))
    return parts


def _closing_brace(text: str, start: int) -> int:
    depth, quote = 1, ""
    for index in range(start, len(text)):
        char = text[index]
        if quote:
            if char == "\\":
                continue
            if char == quote and text[index - 1] != "\\":
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return index
    return -1


FEEL = "feel"
JUEL = "juel"
PYTHON = "python"


def compile_expression(text: str, dialect: str = FEEL) -> Expression | PythonAsFeel:
    """Compile ``=expr`` (FEEL), ``${expr}`` / ``#{expr}`` (JUEL) or bare text in ``dialect``.

    ``dialect`` is the language of bare text: ``feel`` (the default) or ``python``
    (SpiffWorkflow's). Bare text that is not FEEL but is a valid Python expression is Python
    whatever ``dialect`` says: models drawn for SpiffWorkflow in Camunda Modeler say nothing
    else about their language. Raises :class:`ExpressionError` for syntax errors, unknown
    functions, wrong numbers of arguments, and source text beyond the length and nesting limits.
    """
    if not isinstance(text, str):
        raise ExpressionError(repr(text), f"an expression must be a string, not {type(text).__name__}")
    if dialect == PYTHON and not is_expression(text):
        return PythonAsFeel(compile_python(text))
    try:
        return _compile_feel_or_juel(text)
    except ExpressionError as feel_error:
        if is_expression(text):
            raise
        try:
            return PythonAsFeel(compile_python(text))
        except ExpressionError:
            raise feel_error from None


def _compile_feel_or_juel(text: str) -> Expression:
    if len(text) > MAX_EXPRESSION_LENGTH:
        reason = f"the expression is {len(text)} characters long, more than the limit of {MAX_EXPRESSION_LENGTH}"
        if bracket_depth(text) > MAX_NESTING_DEPTH:
            reason += f", and nested deeper than the limit of {MAX_NESTING_DEPTH} levels"
        raise ExpressionError(text, reason)
    start = len(text) - len(text.lstrip())
    end = len(text.rstrip())
    juel = text.startswith(("${", "#{"), start) and end - start >= 3 and text[end - 1] == "}"
    if juel:
        start, end = start + 2, end - 1
    elif text.startswith("=", start):
        start += 1
    tokens = tokenize(text, start, end, juel)
    return Expression(text, parse(text, tokens, juel), JUEL if juel else FEEL)


@dataclass(frozen=True)
class PythonAsFeel:
    """A Python expression (:mod:`engine.expressions.python`) that answers FEEL values, as the
    other dialects do, so callers need not know which dialect an expression is in."""

    python: PythonExpression
    dialect: str = PYTHON

    @property
    def source(self) -> str:
        """The expression as written."""
        return self.python.source

    def evaluate(self, variables: Mapping[str, object]) -> object:
        """Evaluate over ``variables``; return a FEEL value (numbers become decimals)."""
        return to_feel(self.python.evaluate(variables))


_compile_cached = lru_cache(maxsize=COMPILED_CACHE_SIZE)(compile_expression)


def evaluate(text: str, variables: Mapping[str, object], dialect: str = FEEL) -> object:
    """Compile (through a bounded cache) and evaluate an expression; return a FEEL value.

    ``dialect`` is the language of bare text, as for :func:`compile_expression`.
    """
    if not isinstance(text, str):
        raise ExpressionError(repr(text), f"an expression must be a string, not {type(text).__name__}")
    return _compile_cached(text, dialect).evaluate(variables)
