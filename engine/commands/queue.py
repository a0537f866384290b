"""Parallelism: at most ``parallelism`` running instances per BPMN process id, the rest QUEUED.

The ``parallelism`` of the latest version applies to all versions. Counters live in one
``process_queue`` row per BPMN process id, created the first time the process is limited; while
a process has never been limited, starting and ending its instances touch no shared row. Queued
instances start in creation order (FIFO): once any instance waits, new ones queue behind it.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from engine.states import InstanceState, TaskKind
from engine.store import processes as process_store
from engine.store import steps, tables
from engine.store.db import Tx

q = tables.process_queue
pi = tables.process_instance

_RUNNING = [str(InstanceState.STARTED), str(InstanceState.SUSPENDED)]


def _parallelism(tx: Tx, bpmn_process_id: str) -> int:
    latest = process_store.find_latest(tx.conn, bpmn_process_id)
    return latest.parallelism if latest is not None else 0


def _row(tx: Tx, bpmn_process_id: str, create: bool) -> sa.Row | None:
    if create:
        running = tx.conn.execute(
            sa.select(sa.func.count())
            .select_from(pi)
            .where(pi.c.bpmn_process_id == bpmn_process_id, pi.c.state.in_(_RUNNING))
        ).scalar_one()
        tx.conn.execute(
            postgresql.insert(q)
            .values(bpmn_process_id=bpmn_process_id, active_count=running, queued_count=0)
            .on_conflict_do_nothing()
        )
    return tx.conn.execute(sa.select(q).where(q.c.bpmn_process_id == bpmn_process_id).with_for_update()).one_or_none()


def admit(tx: Tx, instance: sa.Row) -> bool:
    """May a created instance start now? If not, it is QUEUED and starts when a place frees up."""
    parallelism = _parallelism(tx, instance.bpmn_process_id)
    row = _row(tx, instance.bpmn_process_id, create=parallelism > 0)
    if row is None:
        return True
    if row.queued_count > 0 or (parallelism > 0 and row.active_count >= parallelism):
        tx.conn.execute(
            sa.update(q).where(q.c.bpmn_process_id == row.bpmn_process_id).values(queued_count=q.c.queued_count + 1)
        )
        tx.conn.execute(
            sa.update(pi)
            .where(pi.c.partition == instance.partition, pi.c.id == instance.id)
            .values(state=str(InstanceState.QUEUED))
        )
        return False
    tx.conn.execute(
        sa.update(q).where(q.c.bpmn_process_id == row.bpmn_process_id).values(active_count=q.c.active_count + 1)
    )
    return True


def release(tx: Tx, bpmn_process_id: str, *, was_running: bool, was_queued: bool) -> None:
    """An instance ended: free its place (or its place in the queue) and start the next ones."""
    if not (was_running or was_queued):
        return
    row = _row(tx, bpmn_process_id, create=False)
    if row is None:
        return
    if was_running:
        active, queued = max(row.active_count - 1, 0), row.queued_count
    else:
        active, queued = row.active_count, max(row.queued_count - 1, 0)
    tx.conn.execute(
        sa.update(q).where(q.c.bpmn_process_id == bpmn_process_id).values(active_count=active, queued_count=queued)
    )
    dequeue(tx, bpmn_process_id)


def dequeue(tx: Tx, bpmn_process_id: str) -> int:
    """Start queued instances while there is room; returns how many."""
    row = _row(tx, bpmn_process_id, create=False)
    if row is None:
        return 0
    parallelism = _parallelism(tx, bpmn_process_id)
    active, queued, started = row.active_count, row.queued_count, 0
    while queued > 0 and (parallelism == 0 or active < parallelism):
        head = tx.conn.execute(
            sa.select(pi.c.partition, pi.c.id, pi.c.process_id)
            .where(pi.c.bpmn_process_id == bpmn_process_id, pi.c.state == str(InstanceState.QUEUED))
            .order_by(pi.c.created_at, pi.c.partition, pi.c.id)
            .offset(started)
            .limit(1)
        ).one_or_none()
        if head is None:
            queued = 0
            break
        steps.insert_tasks(
            tx,
            [
                {
                    "partition": head.partition,
                    "process_id": head.process_id,
                    "process_instance_id": head.id,
                    "type": str(TaskKind.START_PROCESS_INSTANCE),
                    "due_at": tx.now,
                }
            ],
        )
        active, queued, started = active + 1, queued - 1, started + 1
    if parallelism == 0 and queued == 0:
        tx.conn.execute(sa.delete(q).where(q.c.bpmn_process_id == bpmn_process_id))  # unlimited again
    else:
        tx.conn.execute(
            sa.update(q).where(q.c.bpmn_process_id == bpmn_process_id).values(active_count=active, queued_count=queued)
        )
    return started
