"""Reading messages and message subscriptions."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa

from engine.queries.criteria import where_equal
from engine.queries.paging import Page
from engine.queries.records import Message, MessageSubscription
from engine.store import tables

m, ms = tables.message, tables.message_subscription


def to_message(row: sa.Row) -> Message:
    """A message row as a result value."""
    return Message(
        id=row.id,
        name=row.name,
        correlation_key=row.correlation_key,
        unique_key=row.unique_key,
        created_at=row.created_at,
        created_by=row.created_by,
        expires_at=row.expires_at,
        correlated=row.is_correlated,
    )


def query_messages(
    conn: sa.Connection,
    now: datetime,
    *,
    id: int | None = None,
    name: str | None = None,
    correlation_key: str | None = None,
    exclude_expired: bool = False,
    page: Page = Page(),
) -> list[Message]:
    """Messages, oldest first; ``exclude_expired`` leaves out those past their expiry."""
    query = where_equal(
        sa.select(m).order_by(m.c.id),
        (m.c.id, id),
        (m.c.name, name),
        (m.c.correlation_key, correlation_key),
    )
    if exclude_expired:
        query = query.where(sa.or_(m.c.expires_at.is_(None), m.c.expires_at > now))
    return [to_message(row) for row in conn.execute(page.apply(query))]


def query_message_subscriptions(
    conn: sa.Connection,
    *,
    partition: date | None = None,
    process_instance_id: int | None = None,
    name: str | None = None,
    correlation_key: str | None = None,
    page: Page = Page(),
) -> list[MessageSubscription]:
    """Open message subscriptions."""
    query = where_equal(
        sa.select(ms).order_by(ms.c.partition, ms.c.id),
        (ms.c.partition, partition),
        (ms.c.process_instance_id, process_instance_id),
        (ms.c.name, name),
        (ms.c.correlation_key, correlation_key),
    )
    return [
        MessageSubscription(
            partition=r.partition,
            id=r.id,
            element_id=r.element_id,
            element_instance_id=r.element_instance_id,
            process_id=r.process_id,
            process_instance_id=r.process_instance_id,
            bpmn_element_id=r.bpmn_element_id,
            name=r.name,
            correlation_key=r.correlation_key,
            created_at=r.created_at,
            created_by=r.created_by,
        )
        for r in conn.execute(page.apply(query))
    ]
