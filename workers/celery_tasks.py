"""Celery tasks. Each message is a hint; PostgreSQL decides whether there is work to do.

Each worker process owns its own connection pool (created after the fork, on first use) and
publishes the engine tasks its commits create: :func:`runtime`.
"""

from __future__ import annotations

import logging
import os
from datetime import date

from celery import Celery

from engine.commands import partitions as partition_commands
from engine.commands.engine_tasks.sweep import run_task, sweep
from engine.errors import EngineError
from engine.settings import Settings
from workers.wiring import Process, Wiring, wire

log = logging.getLogger(__name__)

_runtime: Wiring | None = None
_runtime_pid: int | None = None


def runtime() -> Wiring:
    """This process's wiring (built on first use after a fork: a pool is never shared by processes)."""
    global _runtime, _runtime_pid
    if _runtime is None or _runtime_pid != os.getpid():
        _runtime, _runtime_pid = wire(Settings.from_env(), Process.WORKER), os.getpid()
    return _runtime


def _run(partition: str, id: int, type: str | None) -> None:
    rt = runtime()
    ids = {"partition": partition, "task_id": int(id), "task_type": type}
    try:
        task, failed = run_task(
            rt.db,
            date.fromisoformat(partition),
            int(id),
            rt.task_context,
            retry_limit=rt.settings.task_retry_limit,
            retry_seconds=rt.settings.task_retry_seconds,
            type=type,
        )
    except EngineError as exc:  # the database is unreachable: the sweep publishes it again
        log.warning("engine task %s/%s not run: %s", partition, id, exc, extra=ids)
        return
    if task is None:
        log.debug("engine task %s/%s: nothing to do", partition, id, extra=ids)
    elif failed:
        log.warning(
            "engine task %s/%s failed: %s",
            partition,
            id,
            task.error,
            extra={**ids, "process_instance_id": task.process_instance_id, "state": task.state},
        )
    else:
        log.info(
            "engine task %s/%s %s",
            partition,
            id,
            task.state,
            extra={**ids, "process_instance_id": task.process_instance_id, "state": task.state},
        )


def register(app: Celery) -> None:
    """Add Baton's tasks to a Celery app."""

    @app.task(name="baton.execute_task", ignore_result=True)
    def execute_task(partition: str, id: int, type: str | None = None) -> None:
        """Run one engine task; a failure is recorded on the task (retry with back-off, then incident)."""
        _run(partition, id, type)

    @app.task(name="baton.execute_tasks", ignore_result=True)
    def execute_tasks(batch: list[list[object]]) -> None:
        """Run a batch of engine tasks (a signal's fan-out), one transaction each."""
        for partition, id, type in batch:
            _run(str(partition), int(id), str(type))  # type: ignore[call-overload]

    @app.task(name="baton.dispatch_due", ignore_result=True)
    def dispatch_due() -> int:
        """Publish due tasks that were never published (timers, retries) or whose message was lost."""
        rt = runtime()
        refs = rt.db.run(sweep, rt.settings.redispatch_seconds, worker_id=rt.settings.engine_id)
        if refs:
            rt.db.publish(refs)
        return len(refs)

    @app.task(name="baton.partition_upkeep", ignore_result=True)
    def partition_upkeep() -> int:
        """Schedule the upkeep tasks: partitions ahead, detach/drop after retention, purges."""
        rt = runtime()
        return rt.db.run(
            partition_commands.schedule_upkeep,
            rt.settings.partitions_ahead,
            rt.settings.retention_days,
            worker_id=rt.settings.engine_id,
        )
