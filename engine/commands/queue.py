"""Parallelism: at most ``parallelism`` running instances per BPMN process id, the rest QUEUED.

The ``parallelism`` of the latest version applies to all versions. Counters live in one
``process_queue`` row per BPMN process id, created the first time the process is limited; while
a process has never been limited, starting and ending its instances touch no shared row. Queued
instances start in creation order (FIFO): once any instance waits, new ones queue behind it.
"""

from __future__ import annotations

from engine.states import TaskKind
from engine.store import process_instances as instance_store
from engine.store import process_queue, steps
from engine.store import processes as process_store
from engine.store.db import Tx
from engine.store.process_instances import InstanceRow
from engine.store.process_queue import QueueRow


def _parallelism(tx: Tx, bpmn_process_id: str) -> int:
    latest = process_store.find_latest(tx.conn, bpmn_process_id)
    return latest.parallelism if latest is not None else 0


def _row(tx: Tx, bpmn_process_id: str, create: bool) -> QueueRow | None:
    if create:
        process_queue.create(tx, bpmn_process_id, instance_store.count_running(tx, bpmn_process_id))
    return process_queue.lock(tx, bpmn_process_id)


def admit(tx: Tx, instance: InstanceRow) -> bool:
    """May a created instance start now? If not, it is QUEUED and starts when a place frees up."""
    parallelism = _parallelism(tx, instance.bpmn_process_id)
    row = _row(tx, instance.bpmn_process_id, create=parallelism > 0)
    if row is None:
        return True
    if row.queued_count > 0 or (parallelism > 0 and row.active_count >= parallelism):
        process_queue.add_queued(tx, row.bpmn_process_id)
        instance_store.mark_queued(tx, instance.partition, instance.id)
        return False
    process_queue.add_active(tx, row.bpmn_process_id)
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
    process_queue.set_counts(tx, bpmn_process_id, active, queued)
    dequeue(tx, bpmn_process_id)


def dequeue(tx: Tx, bpmn_process_id: str) -> int:
    """Start queued instances while there is room; returns how many."""
    row = _row(tx, bpmn_process_id, create=False)
    if row is None:
        return 0
    parallelism = _parallelism(tx, bpmn_process_id)
    active, queued, started = row.active_count, row.queued_count, 0
    while queued > 0 and (parallelism == 0 or active < parallelism):
        head = instance_store.queued_at(tx, bpmn_process_id, started)
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
        process_queue.delete(tx, bpmn_process_id)  # unlimited again
    else:
        process_queue.set_counts(tx, bpmn_process_id, active, queued)
    return started
