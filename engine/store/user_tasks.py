"""Storage of user tasks: locking one with its instance, saving a change at the next revision."""

from __future__ import annotations

from datetime import date
from typing import Any, TypeAlias

import sqlalchemy as sa

from engine.states import InstanceState
from engine.store import tables
from engine.store.db import Tx
from engine.store.steps import lock_instance_of

ut = tables.user_task
pi = tables.process_instance

# A row of the user_task table (columns by name); callers read it, never build it.
UserTaskRow: TypeAlias = sa.Row[Any]
# A row of the process_instance table (columns by name).
InstanceRow: TypeAlias = sa.Row[Any]


def lock(tx: Tx, partition: date, id: int, *, title: str) -> UserTaskRow:
    """Lock the process instance a user task belongs to (NOT_FOUND without one), then the task."""
    lock_instance_of(tx, ut, partition, id, title=title, what="user task")
    return tx.conn.execute(sa.select(ut).where(ut.c.partition == partition, ut.c.id == id).with_for_update()).one()


def instance_of(tx: Tx, task: UserTaskRow) -> InstanceRow:
    """The process instance row of a user task (the caller holds its lock)."""
    return tx.conn.execute(
        sa.select(pi).where(pi.c.partition == task.partition, pi.c.id == task.process_instance_id)
    ).one()


def save(tx: Tx, task: UserTaskRow, worker_id: str, values: dict[str, Any]) -> UserTaskRow:
    """Write a change of a user task at its next revision."""
    return tx.conn.execute(
        sa.update(ut)
        .where(ut.c.partition == task.partition, ut.c.id == task.id)
        .values(revision=ut.c.revision + 1, updated_at=tx.now, updated_by=worker_id, **values)
        .returning(*ut.c)
    ).one()


def assignment(tx: Tx, partition: date, id: int) -> UserTaskRow | None:
    """The state, assignee and revision of a user task, unlocked (None: it does not exist)."""
    return tx.conn.execute(
        sa.select(ut.c.state, ut.c.assignee, ut.c.revision).where(ut.c.partition == partition, ut.c.id == id)
    ).one_or_none()


def open_ids(tx: Tx, partition: date, process_instance_id: int) -> list[int]:
    """The ids of the open (STARTED) user tasks of a process instance, oldest first."""
    return list(
        tx.conn.execute(
            sa.select(ut.c.id)
            .where(
                ut.c.partition == partition,
                ut.c.process_instance_id == process_instance_id,
                ut.c.state == str(InstanceState.STARTED),
            )
            .order_by(ut.c.id)
        ).scalars()
    )
