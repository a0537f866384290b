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
    # What engine task handlers need.
    task_context: TaskContext

    def run(self, command: Any, *args: Any, worker_id: str | None = None, **kwargs: Any) -> Any:
        """Run an engine command in a transaction."""
        return self.db.run(command, *args, worker_id=worker_id, **kwargs)


def baton() -> Baton:
    """The engine of the current app."""
    return current_app.extensions["baton"]
