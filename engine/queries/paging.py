"""Paging of query results: ``offset`` and ``limit`` as in go-bpmn, with an enforced maximum, and
on request the total number of matches (for "showing 50 of 1,234")."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa

# The most results one query returns; `limit=0` (go-bpmn: "all") also means this many.
MAX_LIMIT = 1000


T = TypeVar("T")


class Results(list[T]):
    """One page of query results; ``total`` is the number of all matches when it was asked for
    (``Page(total=True)``), else ``None``."""

    total: int | None = None


@dataclass(frozen=True)
class Page:
    """Which slice of the results to return, and whether to count all matches too."""

    offset: int = 0
    limit: int = MAX_LIMIT
    total: bool = False

    def apply(self, query: sa.Select) -> sa.Select:
        """Add OFFSET and LIMIT to a query."""
        return query.offset(self.offset).limit(self._limit())

    def fetch(self, conn: sa.Connection, query: sa.Select, convert: Callable[[Any], T]) -> Results[T]:
        """Run ``query`` for this page, converting each row; count every match too when asked
        (one more statement, with the query's filters and without its order)."""
        results: Results[T] = Results(convert(row) for row in conn.execute(self.apply(query)))
        if self.total:
            if len(results) < self._limit() and (results or self.offset == 0):
                results.total = self.offset + len(results)  # this page holds the last match
            else:
                matches = query.order_by(None).subquery()
                results.total = conn.execute(sa.select(sa.func.count()).select_from(matches)).scalar_one()
        return results

    def _limit(self) -> int:
        return self.limit if 0 < self.limit <= MAX_LIMIT else MAX_LIMIT
