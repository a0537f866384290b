"""Query criteria as WHERE clauses: a criterion that is not given (None, or no values) filters
nothing, and each given one adds its clause in the order given."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa


def where_equal(query: sa.Select, *criteria: tuple[sa.ColumnElement[Any], object]) -> sa.Select:
    """Add ``column = value`` for each ``(column, value)`` whose value is not None."""
    for column, value in criteria:
        if value is not None:
            query = query.where(column == value)
    return query


def where_in(query: sa.Select, column: sa.ColumnElement[Any], values: Sequence[Any]) -> sa.Select:
    """Add ``column IN (values)`` when any values are given."""
    if values:
        query = query.where(column.in_(list(values)))
    return query
