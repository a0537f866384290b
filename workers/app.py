"""The Celery application: engine task execution, the due-task sweep, partition upkeep.

Run with ``baton worker`` and ``baton beat``. The tasks themselves, and the per-process wiring
they run on, are in :mod:`workers.celery_tasks`.
"""

from __future__ import annotations

from celery import Celery
from celery.worker.consumer import Consumer as CeleryConsumer

from engine.settings import Settings
from workers import celery_tasks
from workers.publish import celery_settings

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
    celery_tasks.register(app)
    return app


celery = create_celery()
