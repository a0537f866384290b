"""Paging of query results: ``offset`` and ``limit`` as in go-bpmn, with an enforced maximum."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

# The most results one query returns; `limit=0` (go-bpmn: "all") also means this many.
MAX_LIMIT = 1000


@dataclass(frozen=True)
class Page:
    """Which slice of the results to return."""

    offset: int = 0
    limit: int = MAX_LIMIT

    def apply(self, query: sa.Select) -> sa.Select:
        """Add OFFSET and LIMIT to a query."""
        limit = self.limit if 0 < self.limit <= MAX_LIMIT else MAX_LIMIT
        return query.offset(self.offset).limit(limit)
