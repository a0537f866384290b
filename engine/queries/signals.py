"""Reading signal subscriptions."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from engine.queries.criteria import where_equal
from engine.queries.paging import Page
from engine.queries.records import SignalSubscription
from engine.store import tables

ss = tables.signal_subscription


def query_signal_subscriptions(
    conn: sa.Connection,
    *,
    partition: date | None = None,
    process_instance_id: int | None = None,
    name: str | None = None,
    page: Page = Page(),
) -> list[SignalSubscription]:
    """Open signal subscriptions."""
    query = where_equal(
        sa.select(ss).order_by(ss.c.partition, ss.c.id),
        (ss.c.partition, partition),
        (ss.c.process_instance_id, process_instance_id),
        (ss.c.name, name),
    )
    return [
        SignalSubscription(
            partition=r.partition,
            id=r.id,
            element_id=r.element_id,
            element_instance_id=r.element_instance_id,
            process_id=r.process_id,
            process_instance_id=r.process_instance_id,
            bpmn_element_id=r.bpmn_element_id,
            name=r.name,
            created_at=r.created_at,
            created_by=r.created_by,
        )
        for r in conn.execute(page.apply(query))
    ]
