"""The after-commit publisher: tells Celery workers which engine tasks to run.

A message carries only ``(partition, id)``; the task row in PostgreSQL is the truth. The API
imports this module (and nothing else of ``workers``) so that commands can wake workers at once.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from celery import Celery

from engine.store.db import TaskRef

log = logging.getLogger(__name__)

EXECUTE_TASK = "baton.execute_task"
EXECUTE_TASKS = "baton.execute_tasks"
# Above this many tasks at once (a signal's fan-out), tasks travel in batches of this size.
BATCH = 50
QUEUE = "baton"


def celery_settings(broker_url: str, queue: str = QUEUE) -> dict[str, object]:
    """Celery configuration shared by the worker, beat and every publisher (DESIGN §1)."""
    return {
        "broker_url": broker_url,
        "result_backend": None,
        "task_ignore_result": True,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_serializer": "json",
        "accept_content": ["json"],
        "result_serializer": "json",
        "task_default_queue": queue,
        "broker_connection_retry_on_startup": True,
        "broker_transport_options": {"visibility_timeout": 3600},
        "timezone": "UTC",
        "enable_utc": True,
    }


class Publisher:
    """Publishes engine tasks to the broker; safe to share between threads."""

    def __init__(self, broker_url: str, queue: str = QUEUE) -> None:
        self._queue = queue
        self._app = Celery("baton-publisher", set_as_current=False)
        self._app.conf.update(celery_settings(broker_url, queue))
        self._app.conf.broker_connection_timeout = 2
        self._app.conf.broker_transport_options = {"visibility_timeout": 3600, "max_retries": 1}

    def __call__(self, tasks: Sequence[TaskRef]) -> None:
        """Send one message per task; a failure is raised to the caller (which logs it)."""
        with self._app.producer_or_acquire() as producer:
            if len(tasks) <= BATCH:
                for task in tasks:
                    self._app.send_task(
                        EXECUTE_TASK,
                        args=[task.partition.isoformat(), task.id, task.type],
                        queue=self._queue,
                        producer=producer,
                        retry=False,
                    )
                return
            for start in range(0, len(tasks), BATCH):
                batch = [[t.partition.isoformat(), t.id, t.type] for t in tasks[start : start + BATCH]]
                self._app.send_task(EXECUTE_TASKS, args=[batch], queue=self._queue, producer=producer, retry=False)

    def close(self) -> None:
        """Release broker connections."""
        self._app.close()
