"""Reading element instances: the token tree of process instances."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa

from engine.queries.criteria import where_equal, where_in
from engine.queries.paging import Page
from engine.queries.records import ElementInstance
from engine.store import tables

ei_t = tables.element_instance


def to_element_instance(row: sa.Row) -> ElementInstance:
    """An element instance row as a result value."""
    return ElementInstance(
        partition=row.partition,
        id=row.id,
        element_id=row.element_id,
        process_id=row.process_id,
        process_instance_id=row.process_instance_id,
        bpmn_element_id=row.bpmn_element_id,
        bpmn_element_type=row.bpmn_element_type,
        state=row.state,
        created_at=row.created_at,
        created_by=row.created_by,
        parent_id=row.parent_id,
        prev_id=row.prev_id,
        prev_element_id=row.prev_element_id,
        started_at=row.started_at,
        ended_at=row.ended_at,
    )


def query_element_instances(
    conn: sa.Connection,
    *,
    partition: date | None = None,
    id: int | None = None,
    parent_id: int | None = None,
    process_id: int | None = None,
    process_instance_id: int | None = None,
    bpmn_element_id: str | None = None,
    states: Sequence[str] = (),
    process_instances: Sequence[tuple[date, int]] = (),
    page: Page = Page(),
) -> list[ElementInstance]:
    """Element instances matching every given criterion, in creation order.

    ``process_instances`` limits them to the instances given as ``(partition, id)`` (for lists).
    """
    query = where_equal(
        sa.select(ei_t).order_by(ei_t.c.partition, ei_t.c.id),
        (ei_t.c.partition, partition),
        (ei_t.c.id, id),
        (ei_t.c.parent_id, parent_id),
        (ei_t.c.process_id, process_id),
        (ei_t.c.process_instance_id, process_instance_id),
        (ei_t.c.bpmn_element_id, bpmn_element_id),
    )
    query = where_in(query, ei_t.c.state, states)
    if process_instances:
        query = query.where(sa.tuple_(ei_t.c.partition, ei_t.c.process_instance_id).in_(list(process_instances)))
    return [to_element_instance(row) for row in conn.execute(page.apply(query))]
