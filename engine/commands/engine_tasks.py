"""Engine tasks: run one (Celery ``execute_task``), fail one, run due ones, find lost ones.

A task row is the queue of record; a broker message only says "run task X". Running a task
takes the instance lock first (DESIGN §3), re-reads the task, and does nothing unless it is
still CREATED and due — so a redelivered or duplicated message commits nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from engine.commands import lifecycle
from engine.commands import partitions as partitions_commands
from engine.errors import EngineError, ErrorKind
from engine.queries.engine_tasks import to_task
from engine.queries.records import ExecutedTasks, Task
from engine.runtime import execution, gateways
from engine.runtime import jobs as job_semantics
from engine.states import InstanceState, JobKind, TaskKind, WorkState
from engine.store import incidents, steps, tables
from engine.store.batch import Write
from engine.store.db import Database, TaskRef, Tx
from engine.variables import Policy

task_t = tables.task
pi_t = tables.process_instance

# How many due tasks one sweep republishes at most.
SWEEP_BATCH = 5000


@dataclass(frozen=True)
class TaskContext:
    """What task handlers need beyond the transaction."""

    policy: Policy
    engine_id: str
    partitions_ahead: int = 3
    retention_days: int = 90


Handler = Callable[[Tx, sa.Row, sa.Row | None, TaskContext], WorkState]


class _AlreadyDone(Exception):
    """Another delivery of the same task committed first: roll this one back."""


class _NotDueYet(Exception):
    """The task is not due by this process's clock (which may lag a moved engine time)."""


def execute_task(tx: Tx, partition: date, id: int, ctx: TaskContext) -> Task | None:
    """Run one engine task if it is still CREATED and due; None when there was nothing to do.

    The instance row is locked in the same statement that reads the task. The task's final
    update only succeeds while it is still CREATED, so a duplicate delivery that waited for the
    lock rolls back everything it did.
    """
    found = tx.conn.execute(_TASK_WITH_INSTANCE, {"p": partition, "id": id}).one_or_none()
    if found is not None:
        task, instance_row = _task_of(found), found
        if instance_row.state == InstanceState.SUSPENDED:
            return None  # waits; resuming the instance publishes it again
    else:  # a management task (no instance), or none at all
        task = tx.conn.execute(
            sa.select(task_t)
            .where(task_t.c.partition == partition, task_t.c.id == id, task_t.c.process_instance_id.is_(None))
            .with_for_update(skip_locked=True)
        ).one_or_none()
        instance_row = None
    if task is None or task.state != WorkState.CREATED:
        return None
    if task.due_at > tx.now:
        raise _NotDueYet
    tx.running_task = (partition, id)
    tx.fact("task_executed", (tx.now - task.due_at).total_seconds(), type=task.type)
    handler = HANDLERS.get(TaskKind(task.type))
    if handler is None:
        raise EngineError(
            ErrorKind.NOT_IMPLEMENTED,
            "task type not supported",
            f"engine tasks of type {task.type} are not supported yet",
        )
    # The task's own update rides with the step's first flush (one round trip); it only matches
    # while the task is still CREATED, so a duplicate delivery that waited for the lock rolls back.
    tx.guard = _finish_task(partition, id, WorkState.DONE, tx.now, ctx.engine_id)
    state = handler(tx, task, instance_row, ctx)
    if tx.guard is not None:  # no flush happened: end the task now
        tx.guard = None
        matched = _finish_task(partition, id, state, tx.now, ctx.engine_id).run(tx.conn)
    else:
        matched = tx.guard_result
        if matched == 1 and state != WorkState.DONE:  # a flush ended it DONE; the handler said otherwise
            tx.conn.execute(_SET_STATE, {"ts_partition": partition, "ts_id": id, "ts_state": str(state)})
    if matched != 1:
        raise _AlreadyDone
    return _task_record(task, state, tx.now, ctx.engine_id)


def _finish_task(partition: date, id: int, state: WorkState, now: Any, engine_id: str) -> Write:
    """The update that ends a running task; it only matches while the task is still CREATED."""
    return Write(
        "task:finish",
        _FINISH,
        {"tf_partition": partition, "tf_id": id, "tf_state": str(state), "tf_now": now, "tf_by": engine_id},
    )


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


def _task_of(row: sa.Row) -> _TaskView:
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


def fail_task(
    tx: Tx, partition: date, id: int, error: str, ctx: TaskContext, *, retry_limit: int, retry_seconds: int
) -> Task | None:
    """Record a task that raised: retry it with back-off, then turn it into an incident."""
    task = tx.conn.execute(
        sa.select(task_t).where(task_t.c.partition == partition, task_t.c.id == id).with_for_update()
    ).one_or_none()
    if task is None or task.state != WorkState.CREATED:
        return None
    error = error[:4000]
    tx.fact("task_failed", type=task.type)
    if task.retry_count < retry_limit:
        state = WorkState.CAUSED_RETRY
        delay = timedelta(seconds=retry_seconds * (2**task.retry_count))
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
                    "due_at": tx.now + delay,
                    "retry_count": task.retry_count + 1,
                }
            ],
        )
    else:
        state = WorkState.CAUSED_INCIDENT
        incidents.create(
            tx,
            task.partition,
            error=error,
            created_by=ctx.engine_id,
            task_id=task.id,
            element_id=task.element_id,
            element_instance_id=task.element_instance_id,
            process_id=task.process_id,
            process_instance_id=task.process_instance_id,
        )
    done = tx.conn.execute(
        sa.update(task_t)
        .where(task_t.c.partition == partition, task_t.c.id == id)
        .values(state=str(state), error=error, locked_at=tx.now, locked_by=ctx.engine_id, completed_at=tx.now)
        .returning(*task_t.c)
    ).one()
    return to_task(done)


def run_task(
    db: Database,
    partition: date,
    id: int,
    ctx: TaskContext,
    *,
    retry_limit: int,
    retry_seconds: int,
    type: str | None = None,
) -> tuple[Task | None, bool]:
    """Execute a task in its own transaction; on failure record it in another.

    Returns (task, failed). Used by the Celery worker and by ``POST /tasks/execute``. Tasks that
    run DDL outside a transaction (``DETACH_PARTITION``) take their own path.
    """
    if type is not None and TaskKind(type) in partitions_commands.DDL_TASKS:
        partitions_commands.run_ddl_task(db, partition, id, ctx.engine_id)
        return None, False
    try:
        try:
            return db.run(execute_task, partition, id, ctx, worker_id=ctx.engine_id), False
        except _NotDueYet:
            db.clock.refresh()  # PATCH /time may have moved the engine time within the cache period
            return db.run(execute_task, partition, id, ctx, worker_id=ctx.engine_id), False
    except (_AlreadyDone, _NotDueYet):
        return None, False
    except EngineError as exc:
        if exc.kind is ErrorKind.UNAVAILABLE:
            raise
        message = str(exc)
    except sa.exc.OperationalError:
        raise
    except Exception as exc:  # a bug: retried with back-off, then an incident
        message = f"{exc.__class__.__name__}: {exc}"
    failed = db.run(
        fail_task,
        partition,
        id,
        message,
        ctx,
        retry_limit=retry_limit,
        retry_seconds=retry_seconds,
        worker_id=ctx.engine_id,
    )
    return failed, True


def execute_due(
    db: Database,
    ctx: TaskContext,
    *,
    partition: date | None = None,
    id: int | None = None,
    process_id: int | None = None,
    process_instance_id: int | None = None,
    type: str | None = None,
    limit: int = 1,
    retry_limit: int = 3,
    retry_seconds: int = 5,
) -> ExecutedTasks:
    """``POST /tasks/execute``: run due tasks matching the criteria now, each in its own transaction."""

    def find(tx: Tx) -> list[tuple[date, int, str]]:
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

    completed: list[Task] = []
    failed: list[Task] = []
    candidates = db.run(find, worker_id=ctx.engine_id)
    for task_partition, task_id, task_type in candidates:
        task, did_fail = run_task(
            db, task_partition, task_id, ctx, retry_limit=retry_limit, retry_seconds=retry_seconds, type=task_type
        )
        if task is not None:
            (failed if did_fail else completed).append(task)
    return ExecutedTasks(
        locked=len(completed) + len(failed),
        completed=len(completed),
        failed=len(failed),
        completed_tasks=completed,
        failed_tasks=failed,
    )


def sweep(tx: Tx, redispatch_seconds: int) -> list[TaskRef]:
    """Due tasks never published, or published long ago and still not run (a lost message).

    Marks them published now; the caller publishes them after commit.
    """
    stale = tx.now - timedelta(seconds=redispatch_seconds)
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
        .limit(SWEEP_BATCH)
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


def unlock_tasks(tx: Tx, engine_id: str, partition: date | None = None, id: int | None = None) -> int:
    """``POST /tasks/unlock``. Tasks are locked only inside the transaction that runs them, so a
    crashed engine leaves nothing locked; this releases tasks a go-bpmn-style engine marked
    LOCKED and returns how many (normally 0)."""
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


# --- handlers ----------------------------------------------------------------------------------


def _start(tx: Tx, task: sa.Row, instance: sa.Row | None, ctx: TaskContext) -> WorkState:
    if instance is None or instance.state not in (InstanceState.CREATED, InstanceState.QUEUED):
        return WorkState.CANCELED
    from engine.commands import queue

    if instance.state == InstanceState.CREATED and not queue.admit(tx, instance):
        return WorkState.DONE  # QUEUED: a later START_PROCESS_INSTANCE task starts it
    step = steps.begin(tx, instance, ctx.policy.keyring)
    execution.start_instance(step, instance.start_event)
    lifecycle.finish(tx, step, ctx.policy)
    return WorkState.DONE


def _join(tx: Tx, task: sa.Row, instance: sa.Row | None, ctx: TaskContext) -> WorkState:
    if instance is None or instance.state != InstanceState.STARTED:
        return WorkState.CANCELED
    step = steps.begin(tx, instance, ctx.policy.keyring)
    ei = step.find(task.element_instance_id)
    if ei is None or not gateways.join_parallel(step, ei):
        return WorkState.DONE  # joined by an earlier task, or still waiting for another branch
    execution.run(step)
    lifecycle.finish(tx, step, ctx.policy)
    return WorkState.DONE


def _continue(tx: Tx, task: sa.Row, instance: sa.Row | None, ctx: TaskContext) -> WorkState:
    if instance is None or instance.state != InstanceState.STARTED:
        return WorkState.CANCELED
    step = steps.begin(tx, instance, ctx.policy.keyring)
    ei = step.find(task.element_instance_id)
    if ei is None:
        return WorkState.CANCELED
    payload: dict[str, Any] = task.serialized_task or {}
    action = payload.get("action")
    if action == "complete_job":
        try:
            job_semantics.complete(
                step, ei, JobKind(payload["jobType"]), job_semantics.JobCompletion.from_dict(payload.get("completion"))
            )
        except job_semantics.CompletionError as exc:
            step = steps.begin(tx, instance, ctx.policy.keyring)
            ei = step.find(task.element_instance_id)
            assert ei is not None
            step.add_incident(ei, str(exc))
    elif action == "child_completed":
        from engine.commands import calls

        calls.child_completed(tx, step, ei, int(payload["child"]), ctx.policy)
    else:
        execution.reenter(step, ei)
    lifecycle.finish(tx, step, ctx.policy)
    return WorkState.DONE


HANDLERS: dict[TaskKind, Handler] = {
    TaskKind.START_PROCESS_INSTANCE: _start,
    TaskKind.JOIN_PARALLEL_GATEWAY: _join,
    TaskKind.CONTINUE_EXECUTION: _continue,
    TaskKind.CREATE_PARTITION: partitions_commands.create_partition,
    TaskKind.DROP_PARTITION: partitions_commands.drop_partition,
    TaskKind.PURGE_MESSAGES: partitions_commands.purge_messages,
    TaskKind.PURGE_SIGNALS: partitions_commands.purge_signals,
}


def register(kind: TaskKind, handler: Handler) -> None:
    """Add the handler of an engine task type."""
    HANDLERS[kind] = handler


# The event handlers register themselves; imported last, once this module's names exist.
from engine.commands import event_tasks as _events  # noqa: E402, F401
