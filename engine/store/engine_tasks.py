"""Storage of engine tasks: the task table, the queue of record of the work the engine runs itself.

A task is run under its instance's lock (``lock_with_instance``); its final update only matches
while it is still CREATED (``finish``), so a duplicate delivery commits nothing. Inserting tasks
is ``steps.insert_tasks`` (it publishes the due ones after commit).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, TypeAlias

import sqlalchemy as sa

from engine.states import InstanceState, WorkState
from engine.store import steps, tables
from engine.store.batch import Write
from engine.store.db import TaskRef, Tx

task_t = tables.task
pi_t = tables.process_instance

# A row of the task table (columns by name); callers read it, never build it.
TaskRow: TypeAlias = sa.Row[Any]


_TASK_WITH_INSTANCE = (
    sa.select(
        pi_t,
        task_t.c.id.label("task_id"),
        task_t.c.type.label("task_type"),
        task_t.c.state.label("task_state"),
        task_t.c.due_at.label("task_due_at"),
        task_t.c.element_id.label("task_element_id"),
        task_t.c.element_instance_id.label("task_element_instance_id"),
        task_t.c.bpmn_element_id.label("task_bpmn_element_id"),
        task_t.c.serialized_task.label("task_serialized_task"),
        task_t.c.retry_count.label("task_retry_count"),
        task_t.c.created_at.label("task_created_at"),
        task_t.c.created_by.label("task_created_by"),
        task_t.c.error.label("task_error"),
        # Ids for the element instances the step will create (most steps need a few).
        steps.prefetched_ids(),
    )
    .select_from(
        task_t.join(pi_t, sa.and_(pi_t.c.partition == task_t.c.partition, pi_t.c.id == task_t.c.process_instance_id))
    )
    .where(task_t.c.partition == sa.bindparam("p"), task_t.c.id == sa.bindparam("id"))
    .with_for_update(of=pi_t)
)


def lock_with_instance(tx: Tx, partition: date, id: int) -> TaskRow | None:
    """A task of a process instance read with its instance row, which it locks (one statement).

    The row holds the instance's columns under their own names and the task's as ``task_*``
    (``id`` is the instance's: the task's is ``task_id``), plus the ids prefetched for the step.
    None for a task without an instance, or no task at all.
    """
    return tx.conn.execute(_TASK_WITH_INSTANCE, {"p": partition, "id": id}).one_or_none()


def lock_management_task(tx: Tx, partition: date, id: int) -> TaskRow | None:
    """A task without a process instance, locked; None if another transaction holds it."""
    return tx.conn.execute(
        sa.select(task_t)
        .where(task_t.c.partition == partition, task_t.c.id == id, task_t.c.process_instance_id.is_(None))
        .with_for_update(skip_locked=True)
    ).one_or_none()


def lock(tx: Tx, partition: date, id: int) -> TaskRow | None:
    """A task, locked."""
    return tx.conn.execute(
        sa.select(task_t).where(task_t.c.partition == partition, task_t.c.id == id).with_for_update()
    ).one_or_none()


_FINISH = (
    sa.update(task_t)
    .where(
        task_t.c.partition == sa.bindparam("tf_partition"),
        task_t.c.id == sa.bindparam("tf_id"),
        task_t.c.state == str(WorkState.CREATED),
    )
    .values(
        state=sa.bindparam("tf_state"),
        locked_at=sa.bindparam("tf_now"),
        locked_by=sa.bindparam("tf_by"),
        completed_at=sa.bindparam("tf_now"),
    )
    .returning(task_t.c.id)
)
_SET_STATE = (
    sa.update(task_t)
    .where(task_t.c.partition == sa.bindparam("ts_partition"), task_t.c.id == sa.bindparam("ts_id"))
    .values(state=sa.bindparam("ts_state"))
)


def finish(partition: date, id: int, state: WorkState, now: datetime, engine_id: str) -> Write:
    """The update that ends a running task; it only matches while the task is still CREATED.

    A write, not an execution: it rides with the step's first flush as its guard (one round
    trip), or runs alone (``Write.run``) when the task flushed no step.
    """
    return Write(
        "task:finish",
        _FINISH,
        {"tf_partition": partition, "tf_id": id, "tf_state": str(state), "tf_now": now, "tf_by": engine_id},
    )


def set_state(tx: Tx, partition: date, id: int, state: WorkState) -> None:
    """Set a task's state (a finished task whose handler ended it otherwise than DONE)."""
    tx.conn.execute(_SET_STATE, {"ts_partition": partition, "ts_id": id, "ts_state": str(state)})


def fail(tx: Tx, partition: date, id: int, state: WorkState, error: str, engine_id: str) -> TaskRow:
    """End a task that raised, with its error; returns the updated row."""
    return tx.conn.execute(
        sa.update(task_t)
        .where(task_t.c.partition == partition, task_t.c.id == id)
        .values(state=str(state), error=error, locked_at=tx.now, locked_by=engine_id, completed_at=tx.now)
        .returning(*task_t.c)
    ).one()


def find_due(
    tx: Tx,
    limit: int,
    *,
    partition: date | None = None,
    id: int | None = None,
    process_id: int | None = None,
    process_instance_id: int | None = None,
    type: str | None = None,
) -> list[tuple[date, int, str]]:
    """(partition, id, type) of due CREATED tasks matching the criteria, the earliest due first."""
    query = (
        sa.select(task_t.c.partition, task_t.c.id, task_t.c.type)
        .where(task_t.c.state == str(WorkState.CREATED), task_t.c.due_at <= tx.now)
        .order_by(task_t.c.due_at, task_t.c.partition, task_t.c.id)
        .limit(limit)
    )
    for column, value in (
        (task_t.c.partition, partition),
        (task_t.c.id, id),
        (task_t.c.process_id, process_id),
        (task_t.c.process_instance_id, process_instance_id),
        (task_t.c.type, type),
    ):
        if value is not None:
            query = query.where(column == value)
    return [(row.partition, row.id, row.type) for row in tx.conn.execute(query)]


def claim_undispatched(tx: Tx, stale: datetime, limit: int) -> list[TaskRef]:
    """Mark published now, and return, up to ``limit`` due CREATED tasks never published or last
    published before ``stale``, skipping tasks of suspended instances and locked rows."""
    candidates = (
        sa.select(task_t.c.partition, task_t.c.id)
        .select_from(
            task_t.outerjoin(
                pi_t, sa.and_(pi_t.c.partition == task_t.c.partition, pi_t.c.id == task_t.c.process_instance_id)
            )
        )
        .where(
            task_t.c.state == str(WorkState.CREATED),
            task_t.c.due_at <= tx.now,
            sa.or_(task_t.c.dispatched_at.is_(None), task_t.c.dispatched_at <= stale),
            sa.or_(pi_t.c.state.is_(None), pi_t.c.state != str(InstanceState.SUSPENDED)),
        )
        .order_by(task_t.c.due_at)
        .limit(limit)
        .with_for_update(of=task_t, skip_locked=True)
        .cte("due")
    )
    rows = tx.conn.execute(
        sa.update(task_t)
        .where(task_t.c.partition == candidates.c.partition, task_t.c.id == candidates.c.id)
        .values(dispatched_at=tx.now)
        .returning(task_t.c.partition, task_t.c.id, task_t.c.type, task_t.c.due_at)
    )
    return [TaskRef(r.partition, r.id, r.type, r.due_at) for r in rows]


def unlock(tx: Tx, engine_id: str, partition: date | None = None, id: int | None = None) -> int:
    """Return the LOCKED tasks of an engine to CREATED; returns how many."""
    statement = (
        sa.update(task_t)
        .where(task_t.c.state == str(WorkState.LOCKED), task_t.c.locked_by == engine_id)
        .values(state=str(WorkState.CREATED), locked_at=None, locked_by=None)
    )
    if partition is not None:
        statement = statement.where(task_t.c.partition == partition)
    if id is not None:
        statement = statement.where(task_t.c.id == id)
    return tx.conn.execute(statement).rowcount


# --- the tasks of one process instance ---------------------------------------------------------


def count_open_of_type(tx: Tx, partition: date, instance_id: int, type: str) -> int:
    """How many CREATED tasks of a type an instance has."""
    return tx.conn.execute(
        sa.select(sa.func.count())
        .select_from(task_t)
        .where(
            task_t.c.partition == partition,
            task_t.c.process_instance_id == instance_id,
            task_t.c.type == type,
            task_t.c.state == str(WorkState.CREATED),
        )
    ).scalar_one()


def dispatch_due_of_instance(tx: Tx, partition: date, instance_id: int) -> list[TaskRef]:
    """Mark an instance's due CREATED tasks published now and return them (to publish after commit)."""
    rows = tx.conn.execute(
        sa.update(task_t)
        .where(
            task_t.c.partition == partition,
            task_t.c.process_instance_id == instance_id,
            task_t.c.state == str(WorkState.CREATED),
            task_t.c.due_at <= tx.now,
        )
        .values(dispatched_at=tx.now)
        .returning(task_t.c.id, task_t.c.type, task_t.c.due_at)
    )
    return [TaskRef(partition, row.id, row.type, row.due_at) for row in rows]


def cancel_open_of_instance(tx: Tx, partition: date, instance_id: int, *, except_id: int | None = None) -> None:
    """Cancel an instance's CREATED tasks (but ``except_id``, the task that is running)."""
    statement = sa.update(task_t).where(
        task_t.c.partition == partition,
        task_t.c.process_instance_id == instance_id,
        task_t.c.state == str(WorkState.CREATED),
    )
    if except_id is not None:
        statement = statement.where(task_t.c.id != except_id)
    tx.conn.execute(statement.values(state=str(WorkState.CANCELED), completed_at=tx.now))


def set_process_instance(tx: Tx, partition: date, id: int, instance_id: int) -> None:
    """Record the instance a start-event task started."""
    tx.conn.execute(
        sa.update(task_t)
        .where(task_t.c.partition == partition, task_t.c.id == id)
        .values(process_instance_id=instance_id)
    )


# --- management tasks (no process instance) ----------------------------------------------------


def locked_of_types(tx: Tx, types: Iterable[str]) -> list[tuple[date, int]]:
    """(partition, id) of the LOCKED tasks of the given types."""
    rows = tx.conn.execute(
        sa.select(task_t.c.partition, task_t.c.id).where(
            task_t.c.type.in_(list(types)), task_t.c.state == str(WorkState.LOCKED)
        )
    ).all()
    return [(row.partition, row.id) for row in rows]


def cancel_locked(tx: Tx, keys: list[tuple[date, int]], error: str) -> None:
    """Cancel the tasks (partition, id) that are still LOCKED, with an error."""
    tx.conn.execute(
        sa.update(task_t)
        .where(
            sa.tuple_(task_t.c.partition, task_t.c.id).in_(keys),
            task_t.c.state == str(WorkState.LOCKED),  # re-checked: it may have ended meanwhile
        )
        .values(state=str(WorkState.CANCELED), completed_at=tx.now, error=error)
    )


def pending_of_types(tx: Tx, types: Iterable[str]) -> list[tuple[str, Any]]:
    """(type, serialized_task) of the CREATED or LOCKED tasks of the given types."""
    rows = tx.conn.execute(
        sa.select(task_t.c.type, task_t.c.serialized_task).where(
            task_t.c.type.in_(list(types)), task_t.c.state.in_([str(WorkState.CREATED), str(WorkState.LOCKED)])
        )
    )
    return [(row.type, row.serialized_task) for row in rows]


def _due(partition: date, id: int, now: datetime) -> tuple[sa.ColumnElement[bool], ...]:
    """The conditions of a task that is still CREATED and due."""
    return (
        task_t.c.partition == partition,
        task_t.c.id == id,
        task_t.c.state == str(WorkState.CREATED),
        task_t.c.due_at <= now,
    )


def lock_due(tx: Tx, partition: date, id: int) -> TaskRow | None:
    """A task that is still CREATED and due, locked; None otherwise or if another holds it."""
    return tx.conn.execute(
        sa.select(task_t).where(*_due(partition, id, tx.now)).with_for_update(skip_locked=True)
    ).one_or_none()


def is_due(tx: Tx, partition: date, id: int) -> bool:
    """Whether a task is still CREATED and due (a read; it locks nothing)."""
    return tx.conn.execute(sa.select(task_t.c.id).where(*_due(partition, id, tx.now))).first() is not None


def postpone_due(tx: Tx, partition: date, id: int, due_at: datetime) -> None:
    """Make a task that is CREATED and due now due at ``due_at``, unpublished (the sweep publishes it)."""
    tx.conn.execute(sa.update(task_t).where(*_due(partition, id, tx.now)).values(due_at=due_at, dispatched_at=None))


def set_done(tx: Tx, partition: date, id: int, state: WorkState) -> None:
    """End a task in ``state`` now."""
    tx.conn.execute(
        sa.update(task_t)
        .where(task_t.c.partition == partition, task_t.c.id == id)
        .values(state=str(state), completed_at=tx.now)
    )


def set_locked(tx: Tx, partition: date, id: int, engine_id: str) -> None:
    """Mark a task LOCKED by an engine now (a task that runs outside a transaction)."""
    tx.conn.execute(
        sa.update(task_t)
        .where(task_t.c.partition == partition, task_t.c.id == id)
        .values(state=str(WorkState.LOCKED), locked_at=tx.now, locked_by=engine_id)
    )


def retry_count(tx: Tx, partition: date, id: int) -> int:
    """How often a task was retried."""
    return tx.conn.execute(
        sa.select(task_t.c.retry_count).where(task_t.c.partition == partition, task_t.c.id == id)
    ).scalar_one()


def retry_locked(tx: Tx, partition: date, id: int, *, due_at: datetime, retry_count: int, error: str) -> None:
    """Return a LOCKED task to CREATED with its error, due at ``due_at``, unpublished."""
    tx.conn.execute(
        sa.update(task_t)
        .where(task_t.c.partition == partition, task_t.c.id == id, task_t.c.state == str(WorkState.LOCKED))
        .values(
            state=str(WorkState.CREATED),
            locked_at=None,
            locked_by=None,
            due_at=due_at,
            dispatched_at=None,
            retry_count=retry_count,
            error=error,
        )
    )


def insert_again(tx: Tx, task: TaskRow, due_at: datetime, **columns: Any) -> None:
    """Insert a new engine task that does what ``task`` did (a retry, or the work an incident held),
    due at ``due_at``; ``columns`` set the rest (``retry_count``, ``created_by``)."""
    steps.insert_tasks(
        tx,
        [
            {
                "partition": task.partition,
                "element_id": task.element_id,
                "element_instance_id": task.element_instance_id,
                "process_id": task.process_id,
                "process_instance_id": task.process_instance_id,
                "bpmn_element_id": task.bpmn_element_id,
                "type": task.type,
                "serialized_task": task.serialized_task,
                "due_at": due_at,
                **columns,
            }
        ],
    )
