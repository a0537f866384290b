"""Reading process instances and their element instances."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime

import sqlalchemy as sa

from engine.queries.criteria import where_equal, where_in
from engine.queries.paging import Page, Results
from engine.queries.records import ProcessInstance, tags_from_json
from engine.store import tables

pi_t = tables.process_instance


def to_process_instance(row: sa.Row) -> ProcessInstance:
    """A process instance row as a result value."""
    return ProcessInstance(
        partition=row.partition,
        id=row.id,
        process_id=row.process_id,
        bpmn_process_id=row.bpmn_process_id,
        version=row.version,
        state=row.state,
        created_at=row.created_at,
        created_by=row.created_by,
        parent_id=row.parent_id,
        root_id=row.root_id,
        correlation_key=row.correlation_key,
        tags=tags_from_json(row.tags),
        started_at=row.started_at,
        ended_at=row.ended_at,
        ended_by=row.ended_by,
        end_reason=row.end_reason,
    )


def query_process_instances(
    conn: sa.Connection,
    *,
    partition: date | None = None,
    id: int | None = None,
    process_id: int | None = None,
    bpmn_process_id: str | None = None,
    states: Sequence[str] = (),
    tags: Mapping[str, str] | None = None,
    correlation_key: str | None = None,
    parent_id: int | None = None,
    started_after: datetime | None = None,
    started_before: datetime | None = None,
    sort_by: str | None = None,
    descending: bool = False,
    page: Page = Page(),
) -> Results[ProcessInstance]:
    """Process instances matching every given criterion, oldest first unless ``sort_by`` says.

    ``started_after`` (inclusive) and ``started_before`` (exclusive) bound the creation time, as
    in :func:`engine.queries.statistics.statistics`. ``sort_by`` is one of :data:`SORT_KEYS`;
    ties are broken by creation order, in the same direction.
    """
    if sort_by is not None and sort_by not in SORT_KEYS:
        raise ValueError(f"sort_by must be one of {sorted(SORT_KEYS)}")
    direction = sa.desc if descending else sa.asc
    order = [direction(column) for column in SORT_KEYS[sort_by or "created_at"]]
    query = where_equal(
        sa.select(pi_t).order_by(*order, direction(pi_t.c.partition), direction(pi_t.c.id)),
        (pi_t.c.partition, partition),
        (pi_t.c.id, id),
        (pi_t.c.process_id, process_id),
        (pi_t.c.bpmn_process_id, bpmn_process_id),
    )
    query = where_in(query, pi_t.c.state, states)
    if tags:
        query = query.where(pi_t.c.tags.contains(dict(tags)))
    query = where_equal(query, (pi_t.c.correlation_key, correlation_key), (pi_t.c.parent_id, parent_id))
    if started_after is not None:
        # The partition is the UTC day of creation: bounding it lets PostgreSQL skip whole days.
        query = query.where(pi_t.c.created_at >= started_after, pi_t.c.partition >= _utc_day(started_after))
    if started_before is not None:
        query = query.where(pi_t.c.created_at < started_before, pi_t.c.partition <= _utc_day(started_before))
    return page.fetch(conn, query, to_process_instance)


# Orders of process instance queries: creation (the default), start, end, state, BPMN process id.
SORT_KEYS: dict[str, tuple[sa.Column, ...]] = {
    "created_at": (),
    "started_at": (pi_t.c.started_at,),
    "ended_at": (pi_t.c.ended_at,),
    "state": (pi_t.c.state,),
    "bpmn_process_id": (pi_t.c.bpmn_process_id,),
}


def _utc_day(moment: datetime) -> date:
    return (moment.astimezone(UTC) if moment.tzinfo else moment).date()
