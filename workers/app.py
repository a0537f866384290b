"""The Celery application: engine task execution, the due-task sweep, partition upkeep.

Run with ``baton worker`` and ``baton beat``. Each worker process owns its own connection pool
(created after the fork) and publishes the tasks its commits create.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from celery import Celery
from celery.worker.consumer import Consumer as CeleryConsumer

from engine.commands.engine_tasks.executor import TaskContext
from engine.settings import Settings
from engine.store.db import Database
from engine.variables import Keyring, Policy
from workers.publish import Publisher, celery_settings

# How often beat sweeps for due tasks (timers, retries, lost messages), in seconds.
SWEEP_SECONDS = 1.0
# How often beat checks that the coming days have partitions, in seconds.
UPKEEP_SECONDS = 3600.0
# How often a worker that lost Redis tries to reconnect, in seconds.
RECONNECT_SECONDS = 1.0


class Consumer(CeleryConsumer):
    """Celery's consumer, reconnecting to the broker every second.

    Celery's own back-off (2 s, then 2 s more per attempt, up to 30 s) has no setting; after a
    Redis outage it left workers idle for up to 30 s while the broker was already back.
    """

    def ensure_connected(self, conn):  # type: ignore[no-untyped-def]
        ensure = conn.ensure_connection

        def every_second(*args, **kwargs):  # type: ignore[no-untyped-def]
            kwargs.update(interval_start=RECONNECT_SECONDS, interval_step=0, interval_max=RECONNECT_SECONDS)
            return ensure(*args, **kwargs)

        conn.ensure_connection = every_second
        return super().ensure_connected(conn)


@dataclass
class Runtime:
    """Per-process engine state of a worker: settings, pool, task context."""

    settings: Settings
    db: Database
    context: TaskContext


_runtime: Runtime | None = None
_runtime_pid: int | None = None


def runtime() -> Runtime:
    """This process's runtime (created on first use after a fork)."""
    global _runtime, _runtime_pid
    if _runtime is None or _runtime_pid != os.getpid():
        settings = Settings.from_env()
        db = Database(settings.database_url, pool_size=2, engine_id=settings.engine_id)
        # No circuit breaker here: the sweep must publish as soon as Redis answers again, and a
        # worker has no caller waiting on its publishes.
        db.add_publisher(Publisher(settings.broker_url, settings.queue, breaker_seconds=0))
        from engine.metrics import observe

        db.add_observer(observe)
        policy = Policy(
            Keyring.parse(settings.encryption_keys),
            settings.variable_compress_bytes,
            settings.max_variable_bytes_per_instance,
            settings.max_variables_per_request,
        )
        context = TaskContext(
            policy=policy,
            engine_id=settings.engine_id,
            partitions_ahead=settings.partitions_ahead,
            retention_days=settings.retention_days,
        )
        _runtime, _runtime_pid = Runtime(settings, db, context), os.getpid()
    return _runtime


def create_celery(settings: Settings | None = None) -> Celery:
    """The Celery app with Baton's settings and beat schedule."""
    settings = settings or Settings.from_env()
    app = Celery("baton")
    app.conf.update(celery_settings(settings.broker_url, settings.queue))
    app.conf.beat_schedule = {
        "dispatch-due": {"task": "baton.dispatch_due", "schedule": SWEEP_SECONDS, "options": {"expires": 5.0}},
        "partition-upkeep": {
            "task": "baton.partition_upkeep",
            "schedule": UPKEEP_SECONDS,
            "options": {"expires": 600.0},
        },
    }
    app.conf.worker_hijack_root_logger = False
    app.conf.worker_consumer = "workers.app:Consumer"
    from workers import celery_tasks

    celery_tasks.register(app)
    return app


celery = create_celery()
