"""The one error type of the expression language."""

from __future__ import annotations

_SHOWN_SOURCE = 120


class ExpressionError(Exception):
    """An expression could not be compiled, or its evaluation exceeded a limit.

    ``expression`` is the source text, ``reason`` a sentence for users, ``position`` the 0-based
    offset in ``expression`` where the problem was found (``None`` when it has no single place).
    Invalid operations on values (``"a" + 1``) are not errors: they yield ``null`` as in FEEL.
    """

    def __init__(self, expression: str, reason: str, position: int | None = None) -> None:
        # All three go to Exception.args so that the error survives pickling (Celery, multiprocessing).
        super().__init__(expression, reason, position)
        self.expression = expression
        self.reason = reason
        self.position = position

    def __str__(self) -> str:
        shown = self.expression
        if len(shown) > _SHOWN_SOURCE:
            shown = shown[:_SHOWN_SOURCE] + "…"
        where = f" at position {self.position}" if self.position is not None else ""
        return f"{self.reason}{where} in expression {shown!r}"
