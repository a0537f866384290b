"""Sending signals (``POST /signals``): every subscriber and every signal start event hears it.

The subscriptions are taken at send time and each becomes one TRIGGER_EVENT task in the
subscriber's partition, so a signal to 100,000 waiting instances is 100,000 small transactions
spread over all workers (DESIGN §3). Signal start events of non-suspended process versions each
start an instance. A signal nobody hears is recorded with ``subscriberCount`` 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from engine.queries.records import Signal
from engine.states import TaskKind, WorkState
from engine.store import partitions, steps, tables
from engine.store.db import TaskRef, Tx
from engine.variables import Policy, VariableChange
from engine.variables import check as check_variables

sig = tables.signal


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
    from engine.commands.messages import wire_variables

    row = tx.conn.execute(
        sa.insert(sig)
        .values(
            name=name, variables=wire_variables(variables), subscriber_count=0, created_at=tx.now, created_by=worker_id
        )
        .returning(*sig.c)
    ).one()
    delivered = tx.conn.execute(_FAN_OUT, {"name": name, "signal": row.id, "now": tx.now, "by": worker_id}).all()
    tx.new_tasks.extend(TaskRef(r.partition, r.id, r.type, r.due_at) for r in delivered)
    d = tables.event_definition
    starts = tx.conn.execute(
        sa.select(d.c.element_id, d.c.process_id, d.c.bpmn_element_id).where(
            d.c.signal_name == name, d.c.is_suspended.is_(False), d.c.bpmn_element_type == "SIGNAL_START_EVENT"
        )
    ).all()
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
    count = len(delivered) + len(starts)
    tx.conn.execute(sa.update(sig).where(sig.c.id == row.id).values(subscriber_count=count))
    return Signal(
        id=row.id, name=row.name, created_at=row.created_at, created_by=row.created_by, subscriber_count=count
    )


# Take every subscription of the signal and turn each into a TRIGGER_EVENT task in the
# subscriber's partition, in one statement.
_FAN_OUT = sa.text(
    f"""
    WITH taken AS (
        DELETE FROM signal_subscription WHERE name = :name
        RETURNING partition, element_id, element_instance_id, process_id, process_instance_id, bpmn_element_id
    )
    INSERT INTO task (partition, id, element_id, element_instance_id, process_id, process_instance_id,
                      bpmn_element_id, type, serialized_task, state, retry_count, created_at, created_by, due_at,
                      dispatched_at)
    SELECT partition, nextval(CAST('task_' || to_char(partition, 'YYYYMMDD') || '_id_seq' AS regclass)),
           element_id, element_instance_id, process_id, process_instance_id, bpmn_element_id,
           '{TaskKind.TRIGGER_EVENT}', jsonb_build_object('signalId', CAST(:signal AS bigint)),
           '{WorkState.CREATED}', 0, :now, :by, :now, :now
    FROM taken
    RETURNING partition, id, type, due_at
    """  # noqa: S608 - only enum constants are formatted in
)
