"""Sending messages (``POST /messages``): correlate, start an instance, or buffer.

A message goes to the oldest subscription with its name and correlation key (one message, one
subscriber), else starts an instance at a message start event with its name, else waits until
its ``expirationTimer`` for a subscription to open (without a timer it expires at once, go-bpmn).
A ``uniqueKey`` is taken while its message waits or the instance it started runs: a second
message with the same name, correlation key and unique key returns the first one unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from engine.errors import EngineError, ErrorCause, ErrorKind
from engine.queries.records import Message
from engine.runtime import timers
from engine.states import TaskKind
from engine.store import messages as store
from engine.store import partitions, steps, tables
from engine.store.db import Tx
from engine.variables import Policy, VariableChange
from engine.variables import check as check_variables

m = tables.message


@dataclass(frozen=True)
class SendMessage:
    """``POST /messages``."""

    name: str
    correlation_key: str
    worker_id: str
    unique_key: str | None = None
    expiration_timer: dict[str, Any] | None = None
    variables: Sequence[VariableChange] = ()


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


def wire_variables(changes: Sequence[VariableChange]) -> list[dict[str, Any]] | None:
    """Variables kept with a message or signal until it is delivered."""
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


def send_message(tx: Tx, cmd: SendMessage, policy: Policy) -> Message:
    """Send a message; returns it (``correlated`` tells whether it reached a subscriber)."""
    check_variables(cmd.variables, "#/variables", policy)
    expires_at = _expiry(tx, cmd.expiration_timer)
    store.lock(tx, cmd.name, cmd.correlation_key)
    values = {
        "name": cmd.name,
        "correlation_key": cmd.correlation_key,
        "unique_key": cmd.unique_key,
        "variables": wire_variables(cmd.variables),
        "created_at": tx.now,
        "created_by": cmd.worker_id,
        "expires_at": expires_at,
        "is_correlated": False,
    }
    insert = postgresql.insert(m).values(**values)
    if cmd.unique_key is not None:
        insert = insert.on_conflict_do_nothing(
            index_elements=[m.c.name, m.c.correlation_key, m.c.unique_key],
            index_where=sa.text("unique_key IS NOT NULL AND (NOT is_correlated OR expires_at IS NULL)"),
        )
    row = tx.conn.execute(insert.returning(*m.c)).one_or_none()
    if row is None:  # a message with this unique key waits or its instance runs: it stands
        existing = tx.conn.execute(
            sa.select(m)
            .where(
                m.c.name == cmd.name,
                m.c.correlation_key == cmd.correlation_key,
                m.c.unique_key == cmd.unique_key,
                sa.or_(m.c.is_correlated.is_(False), m.c.expires_at.is_(None)),
            )
            .order_by(m.c.id.desc())
            .limit(1)
        ).one()
        return to_message(existing)
    subscription = store.take_subscription(tx, cmd.name, cmd.correlation_key)
    if subscription is not None:
        steps.insert_tasks(tx, [store.trigger_task(subscription.partition, subscription, row.id, tx.now)])
        return _correlated(tx, row.id)
    start = _start_event(tx, cmd.name)
    if start is not None:
        partitions.ensure(tx.conn, tx.today, tx.now)
        steps.insert_tasks(
            tx,
            [
                {
                    "partition": tx.today,
                    "element_id": start.element_id,
                    "process_id": start.process_id,
                    "bpmn_element_id": start.bpmn_element_id,
                    "type": str(TaskKind.TRIGGER_EVENT),
                    "serialized_task": {"messageId": row.id, "expires": cmd.expiration_timer is not None},
                    "due_at": tx.now,
                    "created_by": cmd.worker_id,
                }
            ],
        )
        return _correlated(tx, row.id)
    return to_message(row)


def _correlated(tx: Tx, message_id: int) -> Message:
    row = tx.conn.execute(
        sa.update(m).where(m.c.id == message_id).values(is_correlated=True, expires_at=None).returning(*m.c)
    ).one()
    return to_message(row)


def _expiry(tx: Tx, timer_data: dict[str, Any] | None) -> datetime:
    timer = timers.from_dict(timer_data)
    if timer is None:
        return tx.now
    problem = timers.validate(timer)
    if problem:
        raise EngineError(
            ErrorKind.VALIDATION,
            "invalid expiration timer",
            problem,
            [ErrorCause("#/expirationTimer", "timer", problem)],
        )
    return timers.first_due(timer, tx.now).due_at


def _start_event(tx: Tx, name: str) -> sa.Row | None:
    d = tables.event_definition
    return tx.conn.execute(
        sa.select(d.c.element_id, d.c.process_id, d.c.bpmn_element_id, d.c.bpmn_element_type)
        .where(d.c.message_name == name, d.c.is_suspended.is_(False), d.c.bpmn_element_type == "MESSAGE_START_EVENT")
        .order_by(d.c.element_id)
        .limit(1)
    ).one_or_none()
