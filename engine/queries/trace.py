"""The trace of a process instance: every state change of its element instances, in order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from engine.errors import not_found
from engine.queries.paging import Page
from engine.store import tables


@dataclass(frozen=True)
class TraceEvent:
    """One state change of an element instance."""

    id: int
    element_instance_id: int
    element_id: int
    bpmn_element_id: str
    bpmn_element_type: str
    state: str
    time: datetime
    created_by: str


def trace(
    conn: sa.Connection, partition: date, instance_id: int, *, page: Page | None = None, limit: int = 10_000
) -> list[TraceEvent]:
    """Every element instance state change of an instance, in order: a ``page`` of them, else
    the first ``limit``."""
    pi, event = tables.process_instance, tables.event
    exists = conn.execute(sa.select(pi.c.id).where(pi.c.partition == partition, pi.c.id == instance_id)).first()
    if exists is None:
        raise not_found(
            "failed to get trace", f"process instance {partition.isoformat()}/{instance_id} could not be found"
        )
    query = (
        sa.select(event)
        .where(event.c.partition == partition, event.c.process_instance_id == instance_id)
        .order_by(event.c.id)
    )
    rows = conn.execute(page.apply(query) if page is not None else query.limit(limit))
    return [
        TraceEvent(
            r.id,
            r.element_instance_id,
            r.element_id,
            r.bpmn_element_id,
            r.bpmn_element_type,
            r.state,
            r.time,
            r.created_by,
        )
        for r in rows
    ]
