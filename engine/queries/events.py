"""Reading messages, signals and their subscriptions."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa

from engine.commands.messages import to_message
from engine.queries.paging import Page
from engine.queries.records import Message, MessageSubscription, SignalSubscription
from engine.store import tables

m, ms, ss = tables.message, tables.message_subscription, tables.signal_subscription


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
    query = sa.select(m).order_by(m.c.id)
    if id is not None:
        query = query.where(m.c.id == id)
    if name is not None:
        query = query.where(m.c.name == name)
    if correlation_key is not None:
        query = query.where(m.c.correlation_key == correlation_key)
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
    query = sa.select(ms).order_by(ms.c.partition, ms.c.id)
    for column, value in (
        (ms.c.partition, partition),
        (ms.c.process_instance_id, process_instance_id),
        (ms.c.name, name),
        (ms.c.correlation_key, correlation_key),
    ):
        if value is not None:
            query = query.where(column == value)
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


def query_signal_subscriptions(
    conn: sa.Connection,
    *,
    partition: date | None = None,
    process_instance_id: int | None = None,
    name: str | None = None,
    page: Page = Page(),
) -> list[SignalSubscription]:
    """Open signal subscriptions."""
    query = sa.select(ss).order_by(ss.c.partition, ss.c.id)
    for column, value in (
        (ss.c.partition, partition),
        (ss.c.process_instance_id, process_instance_id),
        (ss.c.name, name),
    ):
        if value is not None:
            query = query.where(column == value)
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
