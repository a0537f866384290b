"""What every request handler needs: settings, the database, the variable policy, job wake-ups."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app

from api.wakeups import JobWakeups
from engine.commands.engine_tasks.executor import TaskContext
from engine.settings import Settings
from engine.store.db import Database
from engine.variables import Policy


@dataclass
class Baton:
    """The engine as the API sees it."""

    settings: Settings
    db: Database
    policy: Policy
    wakeups: JobWakeups

    @property
    def task_context(self) -> TaskContext:
        """What engine task handlers need."""
        return TaskContext(
            policy=self.policy,
            engine_id=self.settings.engine_id,
            partitions_ahead=self.settings.partitions_ahead,
            retention_days=self.settings.retention_days,
        )

    def run(self, command: Any, *args: Any, worker_id: str | None = None, **kwargs: Any) -> Any:
        """Run an engine command in a transaction."""
        return self.db.run(command, *args, worker_id=worker_id, **kwargs)


def baton() -> Baton:
    """The engine of the current app."""
    return current_app.extensions["baton"]
