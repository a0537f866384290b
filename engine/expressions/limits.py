"""The bounds that keep an expression cheap, and the budget that enforces them per evaluation.

Expressions come from process models, which any API client may deploy, so every cost is bounded:
source size and nesting are checked when compiling, work and result sizes while evaluating.
"""

from __future__ import annotations

from typing import NoReturn

from engine.expressions.errors import ExpressionError

MAX_EXPRESSION_LENGTH = 4096
"""Characters of source text, including a leading ``=`` or the ``${`` ``}`` wrapper."""

MAX_NESTING_DEPTH = 64
"""Nesting of sub-expressions: parentheses, lists, contexts, calls, operands, iterators."""

MAX_EVALUATION_STEPS = 100_000
"""Work units per evaluation: one per evaluated node, loop iteration and element a function visits."""

MAX_COLLECTION_ITEMS = 100_000
"""Items a range may be expanded into, and items of a list an expression builds."""

MAX_STRING_LENGTH = 1_000_000
"""Characters of a string an expression builds (concatenation, ``string()``, ``string join()``…)."""

MAX_VALUE_DEPTH = 64
"""Nesting of a variable's value (lists and objects inside each other) that expressions accept."""

MAX_PATTERN_LENGTH = 1000
"""Characters of a ``matches()`` regular expression."""

CHARACTERS_PER_STEP = 100
"""Reading or building this many characters of a string costs one evaluation step."""

VALUES_PER_STEP = 8
"""Converting this many values of a variable (list items, object members) costs one step."""


class EvaluationBudget:
    """Counts the work of one evaluation and raises :class:`ExpressionError` past a limit."""

    __slots__ = ("converted", "position", "source", "steps")

    def __init__(self, source: str) -> None:
        self.source = source
        self.steps = 0
        self.converted = 0
        self.position: int | None = None

    def spend(self, steps: int = 1) -> None:
        """Account for ``steps`` units of work."""
        self.steps += steps
        if self.steps > MAX_EVALUATION_STEPS:
            self.fail(f"evaluation exceeded the limit of {MAX_EVALUATION_STEPS} steps")

    def remaining(self) -> int:
        """Steps that may still be spent before the limit is exceeded."""
        return MAX_EVALUATION_STEPS - self.steps

    def spend_conversion(self, count: int) -> None:
        """Account for converting ``count`` values of a variable into FEEL values."""
        self.converted += count
        if self.converted >= VALUES_PER_STEP:
            self.spend(self.converted // VALUES_PER_STEP)
            self.converted %= VALUES_PER_STEP

    def spend_characters(self, count: int) -> None:
        """Account for reading or writing ``count`` characters."""
        if count >= CHARACTERS_PER_STEP:
            self.spend(count // CHARACTERS_PER_STEP)

    def check_length(self, length: int) -> None:
        """Before building a string of ``length`` characters: enforce the limit, pay for the work."""
        if length > MAX_STRING_LENGTH:
            self.fail(f"a string of {length} characters exceeds the limit of {MAX_STRING_LENGTH} characters")
        self.spend_characters(length)

    def check_string(self, text: str) -> str:
        """After building ``text``: enforce the limit, pay for the work, return ``text``."""
        self.check_length(len(text))
        return text

    def check_items(self, count: int, what: str = "a list") -> None:
        """Fail if a collection of ``count`` items would exceed the materialisation limit."""
        if count > MAX_COLLECTION_ITEMS:
            self.fail(f"{what} of {count} items exceeds the limit of {MAX_COLLECTION_ITEMS} items")

    def fail(self, reason: str, position: int | None = None) -> NoReturn:
        """Raise an :class:`ExpressionError` for the expression being evaluated."""
        raise ExpressionError(self.source, reason, self.position if position is None else position)
