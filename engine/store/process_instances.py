"""Storage of process instances: creating the row, reading it, changing its state.

Locking an instance and loading it into a step is ``steps.lock_instance`` and ``steps.begin``;
writing a step's changes back is ``flush.flush_step``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, TypeAlias

import sqlalchemy as sa

from engine.states import InstanceState
from engine.store import partitions, tables
from engine.store.db import Tx

pi_t = tables.process_instance

# A row of the process_instance table (columns by name); callers read it, never build it.
InstanceRow: TypeAlias = sa.Row[Any]

_RUNNING = [str(InstanceState.STARTED), str(InstanceState.SUSPENDED)]


def create(
    tx: Tx,
    partition: date,
    process: Any,
    *,
    created_by: str,
    correlation_key: str | None = None,
    tags: Mapping[str, str] | None = None,
    message_id: int | None = None,
    start_event: str | None = None,
    parent_id: int | None = None,
    root_id: int | None = None,
    parent_element_instance_id: int | None = None,
) -> InstanceRow:
    """Insert a CREATED process instance of ``process`` (a process row) into ``partition``,
    which is created if needed; returns the new row.

    ``parent_id``, ``root_id`` and ``parent_element_instance_id`` (the call activity) make it a
    child instance. ``tags`` None leaves the column SQL NULL; given tags are stored as a JSON
    object, or as JSON ``null`` when there are none (what the API has always written).
    """
    partitions.ensure(tx.conn, partition, tx.now)
    values: dict[str, Any] = {
        "partition": partition,
        "id": partitions.next_ids(tx.conn, pi_t, partition, 1)[0],
        "parent_id": parent_id,
        "root_id": root_id,
        "parent_element_instance_id": parent_element_instance_id,
        "process_id": process.id,
        "bpmn_process_id": process.bpmn_process_id,
        "version": process.version,
        "correlation_key": correlation_key,
        "message_id": message_id,
        "start_event": start_event,
        "state": str(InstanceState.CREATED),
        "created_at": tx.now,
        "created_by": created_by,
    }
    if tags is not None:
        values["tags"] = dict(tags) or None
    return tx.conn.execute(sa.insert(pi_t).values(**values).returning(*pi_t.c)).one()


def get(tx: Tx, partition: date, id: int, *, for_update: bool = False) -> InstanceRow:
    """A process instance that exists (locked with ``for_update``)."""
    statement = sa.select(pi_t).where(pi_t.c.partition == partition, pi_t.c.id == id)
    if for_update:
        statement = statement.with_for_update()
    return tx.conn.execute(statement).one()


def process_id_of(tx: Tx, partition: date, id: int | None) -> int | None:
    """The process (version) id of an instance; None if there is no such instance."""
    return tx.conn.execute(
        sa.select(pi_t.c.process_id).where(pi_t.c.partition == partition, pi_t.c.id == id)
    ).scalar_one_or_none()


def correlation_of(tx: Tx, partition: date, id: int | None) -> InstanceRow:
    """The ``bpmn_process_id`` and ``correlation_key`` of an instance that exists."""
    return tx.conn.execute(
        sa.select(pi_t.c.bpmn_process_id, pi_t.c.correlation_key).where(pi_t.c.partition == partition, pi_t.c.id == id)
    ).one()


def set_state(tx: Tx, partition: date, id: int, state: InstanceState) -> InstanceRow:
    """Set an instance's state; returns the updated row."""
    return tx.conn.execute(
        sa.update(pi_t)
        .where(pi_t.c.partition == partition, pi_t.c.id == id)
        .values(state=str(state))
        .returning(*pi_t.c)
    ).one()


def mark_queued(tx: Tx, partition: date, id: int) -> None:
    """Mark a created instance QUEUED (it waits for a place, see ``commands.queue``)."""
    tx.conn.execute(
        sa.update(pi_t).where(pi_t.c.partition == partition, pi_t.c.id == id).values(state=str(InstanceState.QUEUED))
    )


def count_running(tx: Tx, bpmn_process_id: str) -> int:
    """How many instances of a BPMN process id run (STARTED or SUSPENDED), over all versions."""
    return tx.conn.execute(
        sa.select(sa.func.count())
        .select_from(pi_t)
        .where(pi_t.c.bpmn_process_id == bpmn_process_id, pi_t.c.state.in_(_RUNNING))
    ).scalar_one()


def queued_at(tx: Tx, bpmn_process_id: str, position: int) -> InstanceRow | None:
    """The ``partition``, ``id`` and ``process_id`` of the queued instance at ``position`` (0: the
    oldest) in creation order; None past the end of the queue."""
    return tx.conn.execute(
        sa.select(pi_t.c.partition, pi_t.c.id, pi_t.c.process_id)
        .where(pi_t.c.bpmn_process_id == bpmn_process_id, pi_t.c.state == str(InstanceState.QUEUED))
        .order_by(pi_t.c.created_at, pi_t.c.partition, pi_t.c.id)
        .offset(position)
        .limit(1)
    ).one_or_none()
