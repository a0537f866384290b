"""Storage of signals: sending one to its subscribers, what a sent signal carries, and purging old ones."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeAlias

import sqlalchemy as sa

from engine.states import TaskKind, WorkState
from engine.store import tables
from engine.store.db import TaskRef, Tx
from engine.store.messages import wire_variables
from engine.variables import VariableChange

s = tables.signal

# A row of the signal table (columns by name); callers read it, never build it.
SignalRow: TypeAlias = sa.Row[Any]


def variables_of(tx: Tx, signal_id: int) -> list[dict[str, Any]] | None:
    """The variables a signal carries (wire form); None if it has none or is gone."""
    return tx.conn.execute(sa.select(s.c.variables).where(s.c.id == signal_id)).scalar_one_or_none()


def purge(tx: Tx, sent_before: datetime) -> None:
    """Delete the signals sent before a point in time."""
    tx.conn.execute(sa.delete(s).where(s.c.created_at < sent_before))


def insert(tx: Tx, name: str, variables: Sequence[VariableChange], worker_id: str) -> SignalRow:
    """Record a sent signal (with no subscriber counted yet)."""
    return tx.conn.execute(
        sa.insert(s)
        .values(
            name=name, variables=wire_variables(variables), subscriber_count=0, created_at=tx.now, created_by=worker_id
        )
        .returning(*s.c)
    ).one()


def deliver(tx: Tx, name: str, signal_id: int, worker_id: str) -> int:
    """Take every subscription to a signal name and turn each into a TRIGGER_EVENT task in the
    subscriber's partition (published after commit); returns how many were taken."""
    delivered = tx.conn.execute(_FAN_OUT, {"name": name, "signal": signal_id, "now": tx.now, "by": worker_id}).all()
    tx.new_tasks.extend(TaskRef(r.partition, r.id, r.type, r.due_at) for r in delivered)
    return len(delivered)


def set_subscriber_count(tx: Tx, signal_id: int, count: int) -> None:
    """Record how many subscribers and start events heard a signal."""
    tx.conn.execute(sa.update(s).where(s.c.id == signal_id).values(subscriber_count=count))


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
