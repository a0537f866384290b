"""What every ``POST …/query`` of the API shares: the criteria in the body, one page in the URL,
the sort order, and that sending it again is safe; and the lookup of one record by its id."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

from client.errors import NotFound
from client.wire import body, page

if TYPE_CHECKING:
    from client.transport import Transport

T = TypeVar("T")


def query(
    http: Transport,
    path: str,
    *,
    offset: int = 0,
    limit: int | None = None,
    total: bool = False,
    newest_first: bool = False,
    partition: date | str | None = None,
    **criteria: Any,
) -> Any:
    """The JSON answer of ``POST path`` with the ``criteria`` (camelCase, without the ``None``
    ones; ``partition`` as ``YYYY-MM-DD``; ``newest_first`` as ``sortOrder: DESC``) and one page
    (``offset``, ``limit``, ``total=True`` to count every match). Retried like any idempotent
    request: a query changes nothing."""
    return http.json(
        "POST",
        path,
        json=body(
            partition=str(partition) if partition else None,
            **criteria,
            sort_order="DESC" if newest_first else None,
        ),
        params=page(offset, limit, total),
        idempotent=True,
    )


def one_or_many(values: Iterable[str] | str | None) -> list[str] | None:
    """A list criterion given as one value or several (``states="STARTED"``), as a list;
    ``None`` when there is none."""
    if isinstance(values, str):
        values = [values]
    return list(values) if values else None


def single(found: Sequence[T], what: str, key: str) -> T:
    """The record a lookup by id (``key``: ``"2025-05-01/12"`` or ``"7"``) found;
    :class:`~client.errors.NotFound` naming ``what`` (``"user task"``) when it found none."""
    if not found:
        raise NotFound(404, "NOT_FOUND", f"failed to find {what}", f"{what} {key} could not be found")
    return found[0]
