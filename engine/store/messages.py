"""Storage of messages and subscriptions, and their correlation.

A message and a subscription with the same name and correlation key meet exactly once: sending a
message and opening a subscription both take a transaction-scoped advisory lock on (name, key)
first, so whichever commits second sees the other.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from engine.store import tables
from engine.store.db import Tx

m = tables.message
ms = tables.message_subscription

_LOCK = sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:name || chr(1) || :key, 7100))")


def lock(tx: Tx, name: str, key: str) -> None:
    """Serialize correlation for one (name, correlation key)."""
    tx.conn.execute(_LOCK, {"name": name, "key": key})


def take_buffered(tx: Tx, name: str, key: str) -> sa.Row | None:
    """Claim the oldest buffered message (not correlated, not expired); it is now correlated."""
    oldest = (
        sa.select(m.c.id)
        .where(m.c.name == name, m.c.correlation_key == key, m.c.is_correlated.is_(False), m.c.expires_at > tx.now)
        .order_by(m.c.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    return tx.conn.execute(
        sa.update(m).where(m.c.id == oldest).values(is_correlated=True, expires_at=None).returning(*m.c)
    ).one_or_none()


def take_subscription(tx: Tx, name: str, key: str) -> sa.Row | None:
    """Claim (delete) the oldest subscription waiting for this message."""
    oldest = (
        sa.select(ms.c.partition, ms.c.id)
        .where(ms.c.name == name, ms.c.correlation_key == key)
        .order_by(ms.c.created_at, ms.c.partition, ms.c.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .cte("oldest")
    )
    return tx.conn.execute(
        sa.delete(ms).where(ms.c.partition == oldest.c.partition, ms.c.id == oldest.c.id).returning(*ms.c)
    ).one_or_none()


def expire(tx: Tx, message_id: int, at: datetime) -> None:
    """A correlated message's work is done (or can no longer be done): it expires."""
    tx.conn.execute(sa.update(m).where(m.c.id == message_id).values(expires_at=at))


def get(tx: Tx, message_id: int) -> sa.Row | None:
    """A message by id."""
    return tx.conn.execute(sa.select(m).where(m.c.id == message_id)).one_or_none()


def trigger_task(partition: date, subscription: Any, message_id: int, now: datetime) -> dict[str, Any]:
    """The TRIGGER_EVENT task that delivers a message to a subscribed element instance."""
    return {
        "partition": partition,
        "element_id": subscription.element_id,
        "element_instance_id": subscription.element_instance_id,
        "process_id": subscription.process_id,
        "process_instance_id": subscription.process_instance_id,
        "bpmn_element_id": subscription.bpmn_element_id,
        "type": "TRIGGER_EVENT",
        "serialized_task": {"messageId": message_id},
        "due_at": now,
    }
