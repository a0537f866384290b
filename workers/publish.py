"""The after-commit publisher: tells Celery workers which engine tasks to run.

A message carries only ``(partition, id)``; the task row in PostgreSQL is the truth. The API
imports this module (and nothing else of ``workers``) so that commands can wake workers at once.
"""

from __future__ import annotations

import logging
import time
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


# After a failed publish, publishing is skipped for this many seconds (a circuit breaker): while
# Redis is down a command must not wait for a broker connection; the beat sweep publishes the
# skipped tasks once Redis is back.
BREAKER_SECONDS = 5.0


class Publisher:
    """Publishes engine tasks to the broker; safe to share between threads."""

    def __init__(self, broker_url: str, queue: str = QUEUE, *, breaker_seconds: float = BREAKER_SECONDS) -> None:
        self._queue = queue
        self._breaker_seconds = breaker_seconds
        self._open_until = 0.0  # monotonic time until which publishing is skipped
        self._app = Celery("baton-publisher", set_as_current=False)
        self._app.conf.update(celery_settings(broker_url, queue))
        self._app.conf.broker_connection_timeout = 2
        self._app.conf.broker_transport_options = {"visibility_timeout": 3600, "max_retries": 1}

    def __call__(self, tasks: Sequence[TaskRef]) -> None:
        """Send one message per task; a failure is raised to the caller (which logs it).

        While the breaker is open (a publish failed less than ``breaker_seconds`` ago) nothing is
        sent: the tasks stay due in PostgreSQL and the sweep publishes them.
        """
        if time.monotonic() < self._open_until:
            log.debug("broker unavailable: %d engine task(s) left to the sweep", len(tasks))
            return
        try:
            self._send(tasks)
        except Exception:
            self._open_until = time.monotonic() + self._breaker_seconds
            raise

    def _send(self, tasks: Sequence[TaskRef]) -> None:
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
