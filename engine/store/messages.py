"""Storage of messages and subscriptions, and their correlation.

A message and a subscription with the same name and correlation key meet exactly once: sending a
message and opening a subscription both take a transaction-scoped advisory lock on (name, key)
first, so whichever commits second sees the other.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, TypeAlias

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from engine.store import tables
from engine.store.db import Tx
from engine.variables import VariableChange

m = tables.message
ms = tables.message_subscription

# A row of the message table (columns by name); callers read it, never build it.
MessageRow: TypeAlias = sa.Row[Any]

_LOCK = sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:name || chr(1) || :key, 7100))")


def lock(tx: Tx, name: str, key: str) -> None:
    """Serialize correlation for one (name, correlation key)."""
    tx.conn.execute(_LOCK, {"name": name, "key": key})


def wire_variables(changes: Sequence[VariableChange]) -> list[dict[str, Any]] | None:
    """Variables kept with a message or signal until it is delivered (their stored form)."""
    if not changes:
        return None
    return [
        {
            "name": c.name,
            "data": None
            if c.data is None
            else {"encoding": c.data.encoding, "value": c.data.value, "encrypted": c.data.encrypted},
        }
        for c in changes
    ]


def insert(tx: Tx, values: dict[str, Any]) -> MessageRow | None:
    """Insert a message; None when its ``unique_key`` is taken (by a message that waits, or whose
    instance runs), which leaves the message that took it standing."""
    statement = postgresql.insert(m).values(**values)
    if values.get("unique_key") is not None:
        statement = statement.on_conflict_do_nothing(
            index_elements=[m.c.name, m.c.correlation_key, m.c.unique_key],
            index_where=sa.text("unique_key IS NOT NULL AND (NOT is_correlated OR expires_at IS NULL)"),
        )
    return tx.conn.execute(statement.returning(*m.c)).one_or_none()


def holding_unique_key(tx: Tx, name: str, key: str, unique_key: str | None) -> MessageRow:
    """The newest message that holds a unique key (it waits, or its instance runs)."""
    return tx.conn.execute(
        sa.select(m)
        .where(
            m.c.name == name,
            m.c.correlation_key == key,
            m.c.unique_key == unique_key,
            sa.or_(m.c.is_correlated.is_(False), m.c.expires_at.is_(None)),
        )
        .order_by(m.c.id.desc())
        .limit(1)
    ).one()


def mark_correlated(tx: Tx, message_id: int) -> MessageRow:
    """A message reached a subscriber or started an instance: it is correlated and no longer expires."""
    return tx.conn.execute(
        sa.update(m).where(m.c.id == message_id).values(is_correlated=True, expires_at=None).returning(*m.c)
    ).one()


def take_buffered(tx: Tx, name: str, key: str) -> MessageRow | None:
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


def get(tx: Tx, message_id: int) -> MessageRow | None:
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
