"""Sending signals (``POST /signals``): every subscriber and every signal start event hears it.

The subscriptions are taken at send time and each becomes one TRIGGER_EVENT task in the
subscriber's partition, so a signal to 100,000 waiting instances is 100,000 small transactions
spread over all workers (DESIGN §3). Signal start events of non-suspended process versions each
start an instance. A signal nobody hears is recorded with ``subscriberCount`` 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from engine.queries.records import Signal
from engine.states import TaskKind
from engine.store import partitions, steps
from engine.store import processes as process_store
from engine.store import signals as store
from engine.store.db import Tx
from engine.variables import Policy, VariableChange
from engine.variables import check as check_variables


@dataclass(frozen=True)
class SendSignal:
    """``POST /signals``."""

    name: str
    worker_id: str
    variables: Sequence[VariableChange] = ()


def send_signal(tx: Tx, cmd: SendSignal, policy: Policy) -> Signal:
    """Send a signal to every subscriber and signal start event."""
    check_variables(cmd.variables, "#/variables", policy)
    return send_signal_now(tx, cmd.name, cmd.variables, cmd.worker_id)


def send_signal_now(tx: Tx, name: str, variables: Sequence[VariableChange], worker_id: str) -> Signal:
    """Send a signal (also used by signal throw and end events)."""
    row = store.insert(tx, name, variables, worker_id)
    delivered = store.deliver(tx, name, row.id, worker_id)
    starts = process_store.signal_start_events(tx.conn, name)
    if starts:
        partitions.ensure(tx.conn, tx.today, tx.now)
        steps.insert_tasks(
            tx,
            [
                {
                    "partition": tx.today,
                    "element_id": s.element_id,
                    "process_id": s.process_id,
                    "bpmn_element_id": s.bpmn_element_id,
                    "type": str(TaskKind.TRIGGER_EVENT),
                    "serialized_task": {"signalId": row.id},
                    "due_at": tx.now,
                    "created_by": worker_id,
                }
                for s in starts
            ],
        )
    count = delivered + len(starts)
    store.set_subscriber_count(tx, row.id, count)
    return Signal(
        id=row.id, name=row.name, created_at=row.created_at, created_by=row.created_by, subscriber_count=count
    )
