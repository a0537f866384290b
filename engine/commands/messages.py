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

from engine.errors import EngineError, ErrorCause, ErrorKind
from engine.queries.messages import to_message
from engine.queries.records import Message
from engine.runtime import timers
from engine.states import TaskKind
from engine.store import messages as store
from engine.store import partitions, steps
from engine.store import processes as process_store
from engine.store.db import Tx
from engine.variables import Policy, VariableChange
from engine.variables import check as check_variables


@dataclass(frozen=True)
class SendMessage:
    """``POST /messages``."""

    name: str
    correlation_key: str
    worker_id: str
    unique_key: str | None = None
    expiration_timer: dict[str, Any] | None = None
    variables: Sequence[VariableChange] = ()


def send_message(tx: Tx, cmd: SendMessage, policy: Policy) -> Message:
    """Send a message; returns it (``correlated`` tells whether it reached a subscriber)."""
    check_variables(cmd.variables, "#/variables", policy)
    expires_at = _expiry(tx, cmd.expiration_timer)
    store.lock(tx, cmd.name, cmd.correlation_key)
    values = {
        "name": cmd.name,
        "correlation_key": cmd.correlation_key,
        "unique_key": cmd.unique_key,
        "variables": store.wire_variables(cmd.variables),
        "created_at": tx.now,
        "created_by": cmd.worker_id,
        "expires_at": expires_at,
        "is_correlated": False,
    }
    row = store.insert(tx, values)
    if row is None:  # a message with this unique key waits or its instance runs: it stands
        return to_message(store.holding_unique_key(tx, cmd.name, cmd.correlation_key, cmd.unique_key))
    subscription = store.take_subscription(tx, cmd.name, cmd.correlation_key)
    if subscription is not None:
        steps.insert_tasks(tx, [store.trigger_task(subscription.partition, subscription, row.id, tx.now)])
        return _correlated(tx, row.id)
    start = process_store.message_start_event(tx.conn, cmd.name)
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
    return to_message(store.mark_correlated(tx, message_id))


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
