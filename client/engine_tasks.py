"""Engine tasks: the work the engine does itself (``/tasks``) — joins, timers, starts, upkeep.

Celery workers execute due tasks on their own; :meth:`Tasks.execute` runs due ones in the
request, for tests and debugging.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from client.queries import query
from client.wire import body, records

if TYPE_CHECKING:
    from client.transport import Transport


@dataclass(frozen=True)
class Task:
    """An engine task (``type``: START_PROCESS_INSTANCE, JOIN_PARALLEL_GATEWAY, TRIGGER_EVENT, …)."""

    partition: date
    id: int
    element_id: int | None = None
    element_instance_id: int | None = None
    process_id: int | None = None
    process_instance_id: int | None = None
    bpmn_element_id: str | None = None
    type: str | None = None
    state: str | None = None
    error: str | None = None
    retry_count: int | None = None
    serialized_task: str | None = None
    created_at: datetime | None = None
    created_by: str | None = None
    due_at: datetime | None = None
    locked_at: datetime | None = None
    locked_by: str | None = None
    completed_at: datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class ExecutedTasks:
    """What :meth:`Tasks.execute` did."""

    locked: int = 0
    completed: int = 0
    failed: int = 0
    completed_tasks: list[Task] = field(default_factory=list)
    failed_tasks: list[Task] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


class Tasks:
    """Execute and query engine tasks."""

    def __init__(self, transport: Transport) -> None:
        self._http = transport

    def execute(
        self,
        partition: date | str | None = None,
        id: int | None = None,
        process_id: int | None = None,
        process_instance_id: int | None = None,
        type: str | None = None,
        limit: int = 1,
    ) -> ExecutedTasks:
        """Run up to ``limit`` (≤ 100) due tasks matching the conditions now, in the request."""
        data = (
            self._http.json(
                "POST",
                "/tasks/execute",
                json=body(
                    partition=str(partition) if partition else None,
                    id=id,
                    process_id=process_id,
                    process_instance_id=process_instance_id,
                    type=type,
                    limit=limit,
                ),
                idempotent=False,
            )
            or {}
        )
        return ExecutedTasks(
            locked=int(data.get("locked", 0)),
            completed=int(data.get("completed", 0)),
            failed=int(data.get("failed", 0)),
            completed_tasks=records(Task, data.get("completedTasks")),
            failed_tasks=records(Task, data.get("failedTasks")),
            raw=data,
        )

    def query(
        self,
        partition: date | str | None = None,
        id: int | None = None,
        element_id: int | None = None,
        element_instance_id: int | None = None,
        process_id: int | None = None,
        process_instance_id: int | None = None,
        type: str | None = None,
        states: list[str] | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> list[Task]:
        """Engine tasks matching every given criterion."""
        data = query(
            self._http,
            "/tasks/query",
            partition=partition,
            id=id,
            element_id=element_id,
            element_instance_id=element_instance_id,
            process_id=process_id,
            process_instance_id=process_instance_id,
            type=type,
            states=states or None,
            offset=offset,
            limit=limit,
        )
        return records(Task, data.get("results"))
