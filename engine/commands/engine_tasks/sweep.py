"""Engine tasks from the outside: run a delivered one (and retry it when it raised), run the
due ones now, sweep up due tasks whose message was lost, unlock.

A task row is the queue of record; a broker message only says "run task X".
"""

from __future__ import annotations

from datetime import date, timedelta

from engine.commands import partitions as partitions_commands
from engine.commands.engine_tasks.executor import AlreadyDone, NotDueYet, TaskContext, execute_task
from engine.commands.engine_tasks.handlers import HANDLERS
from engine.errors import EngineError, ErrorKind
from engine.queries.engine_tasks import to_task
from engine.queries.records import ExecutedTasks, Task
from engine.states import TaskKind, WorkState
from engine.store import engine_tasks as task_store
from engine.store import incidents
from engine.store.db import Database, TaskRef, Tx, is_database_failure

# How many due tasks one sweep republishes at most.
SWEEP_BATCH = 5000


def fail_task(
    tx: Tx, partition: date, id: int, error: str, ctx: TaskContext, *, retry_limit: int, retry_seconds: int
) -> Task | None:
    """Record a task that raised: retry it with back-off, then turn it into an incident."""
    task = task_store.lock(tx, partition, id)
    if task is None or task.state != WorkState.CREATED:
        return None
    error = error[:4000]
    tx.fact("task_failed", type=task.type)
    if task.retry_count < retry_limit:
        state = WorkState.CAUSED_RETRY
        delay = timedelta(seconds=retry_seconds * (2**task.retry_count))
        task_store.insert_again(tx, task, tx.now + delay, retry_count=task.retry_count + 1)
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
    return to_task(task_store.fail(tx, partition, id, state, error, ctx.engine_id))


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
            return db.run(execute_task, partition, id, ctx, HANDLERS, worker_id=ctx.engine_id), False
        except NotDueYet:
            db.clock.refresh()  # PATCH /time may have moved the engine time within the cache period
            return db.run(execute_task, partition, id, ctx, HANDLERS, worker_id=ctx.engine_id), False
    except (AlreadyDone, NotDueYet):
        return None, False
    except EngineError as exc:
        if exc.kind is ErrorKind.UNAVAILABLE:
            raise
        message = str(exc)
    except Exception as exc:
        if is_database_failure(exc):
            raise  # the database's trouble, not the task's: Celery redelivers it
        # A bug: retried with back-off, then an incident.
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
    completed: list[Task] = []
    failed: list[Task] = []
    candidates = db.run(
        task_store.find_due,
        limit,
        partition=partition,
        id=id,
        process_id=process_id,
        process_instance_id=process_instance_id,
        type=type,
        worker_id=ctx.engine_id,
    )
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
    return task_store.claim_undispatched(tx, tx.now - timedelta(seconds=redispatch_seconds), SWEEP_BATCH)


def unlock_tasks(tx: Tx, engine_id: str, partition: date | None = None, id: int | None = None) -> int:
    """``POST /tasks/unlock``. Tasks are locked only inside the transaction that runs them, so a
    crashed engine leaves nothing locked; this releases tasks a go-bpmn-style engine marked
    LOCKED and returns how many (normally 0)."""
    return task_store.unlock(tx, engine_id, partition, id)
