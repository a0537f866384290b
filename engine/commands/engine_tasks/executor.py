"""Running one engine task in the transaction it is given.

Running a task takes the instance lock first (DESIGN §3), re-reads the task, and does nothing
unless it is still CREATED and due. The task's final update is guarded (it only matches while
the task is still CREATED), so a redelivered or duplicated message commits nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from engine.errors import EngineError, ErrorKind
from engine.queries.records import Task
from engine.states import InstanceState, TaskKind, WorkState
from engine.store import engine_tasks as task_store
from engine.store.db import Tx
from engine.store.process_instances import InstanceRow
from engine.variables import Policy


@dataclass(frozen=True)
class TaskContext:
    """What task handlers need beyond the transaction."""

    policy: Policy
    engine_id: str
    partitions_ahead: int = 3
    retention_days: int = 90


# A handler runs a task of its kind: (transaction, task, its locked instance or None, context)
# → the task's final state. The task is a task row, or the task read with its instance's lock.
Handler = Callable[[Tx, Any, InstanceRow | None, TaskContext], WorkState]


class AlreadyDone(Exception):
    """Another delivery of the same task committed first: roll this one back."""


class NotDueYet(Exception):
    """The task is not due by this process's clock (which may lag a moved engine time)."""


def execute_task(
    tx: Tx, partition: date, id: int, ctx: TaskContext, handlers: Mapping[TaskKind, Handler]
) -> Task | None:
    """Run one engine task with its kind's handler if it is still CREATED and due; None when
    there was nothing to do.

    The instance row is locked in the same statement that reads the task. The task's final
    update only succeeds while it is still CREATED, so a duplicate delivery that waited for the
    lock rolls back everything it did (:class:`AlreadyDone`).
    """
    found = task_store.lock_with_instance(tx, partition, id)
    if found is not None:
        task, instance_row = _task_of(found), found
        if instance_row.state == InstanceState.SUSPENDED:
            return None  # waits; resuming the instance publishes it again
    else:  # a management task (no instance), or none at all
        task = task_store.lock_management_task(tx, partition, id)
        instance_row = None
    if task is None or task.state != WorkState.CREATED:
        return None
    if task.due_at > tx.now:
        raise NotDueYet
    tx.running_task = (partition, id)
    tx.fact("task_executed", (tx.now - task.due_at).total_seconds(), type=task.type)
    handler = handlers.get(TaskKind(task.type))
    if handler is None:
        raise EngineError(
            ErrorKind.NOT_IMPLEMENTED,
            "task type not supported",
            f"engine tasks of type {task.type} are not supported yet",
        )
    # The task's own update rides with the step's first flush (one round trip); it only matches
    # while the task is still CREATED, so a duplicate delivery that waited for the lock rolls back.
    tx.guard = task_store.finish(partition, id, WorkState.DONE, tx.now, ctx.engine_id)
    state = handler(tx, task, instance_row, ctx)
    if tx.guard is not None:  # no flush happened: end the task now
        tx.guard = None
        matched = task_store.finish(partition, id, state, tx.now, ctx.engine_id).run(tx.conn)
    else:
        matched = tx.guard_result
        if matched == 1 and state != WorkState.DONE:  # a flush ended it DONE; the handler said otherwise
            task_store.set_state(tx, partition, id, state)
    if matched != 1:
        raise AlreadyDone
    return _task_record(task, state, tx.now, ctx.engine_id)


def _task_record(task: Any, state: WorkState, now: Any, engine_id: str) -> Task:
    """The ended task as a result value, from the row read under the lock."""
    return Task(
        partition=task.partition,
        id=task.id,
        type=task.type,
        state=str(state),
        retry_count=task.retry_count,
        created_at=task.created_at,
        created_by=task.created_by,
        due_at=task.due_at,
        element_id=task.element_id,
        element_instance_id=task.element_instance_id,
        process_id=task.process_id,
        process_instance_id=task.process_instance_id,
        bpmn_element_id=task.bpmn_element_id,
        serialized_task=json.dumps(task.serialized_task) if task.serialized_task is not None else None,
        error=task.error,
        locked_at=now,
        locked_by=engine_id,
        completed_at=now,
    )


@dataclass(frozen=True)
class _TaskView:
    """The task columns read together with the instance lock."""

    partition: date
    id: int
    type: str
    state: str
    due_at: Any
    element_id: int | None
    element_instance_id: int | None
    process_id: int | None
    process_instance_id: int | None
    bpmn_element_id: str | None
    serialized_task: Any
    retry_count: int
    created_at: Any
    created_by: str
    error: str | None


def _task_of(row: InstanceRow) -> _TaskView:
    """The task part of a row of ``lock_with_instance``."""
    return _TaskView(
        partition=row.partition,
        id=row.task_id,
        type=row.task_type,
        state=row.task_state,
        due_at=row.task_due_at,
        element_id=row.task_element_id,
        element_instance_id=row.task_element_instance_id,
        process_id=row.process_id,
        process_instance_id=row.id,
        bpmn_element_id=row.task_bpmn_element_id,
        serialized_task=row.task_serialized_task,
        retry_count=row.task_retry_count,
        created_at=row.task_created_at,
        created_by=row.task_created_by,
        error=row.task_error,
    )
