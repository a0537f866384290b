"""``/tasks``: the engine's own work (starting instances, joins, timers, partitions, ...)."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from api.context import baton
from api.schemas.common import CountSchema, PageArgs
from api.schemas.engine_tasks import (
    ExecutedTasksSchema,
    ExecuteTasksSchema,
    TaskCriteriaSchema,
    TaskResults,
    UnlockTasksSchema,
)
from engine.commands.engine_tasks import sweep as commands
from engine.queries.engine_tasks import query_tasks
from engine.queries.paging import Page

blp = Blueprint("tasks", __name__, description="Engine tasks, normally run by Celery workers.")


@blp.route("/tasks/execute", methods=["POST"])
@blp.arguments(ExecuteTasksSchema)
@blp.response(200, ExecutedTasksSchema)
def execute(data: dict[str, Any]) -> Any:
    """Run due tasks matching the conditions now, in this request (for tests and debugging)."""
    context = baton()
    settings = context.settings
    return commands.execute_due(
        context.db,
        context.task_context,
        retry_limit=settings.task_retry_limit,
        retry_seconds=settings.task_retry_seconds,
        **data,
    )


@blp.route("/tasks/query", methods=["POST"])
@blp.arguments(PageArgs, location="query", as_kwargs=True)
@blp.arguments(TaskCriteriaSchema)
@blp.response(200, TaskResults)
def query(criteria: dict[str, Any], offset: int, limit: int) -> dict[str, Any]:
    """Query engine tasks."""
    criteria["states"] = tuple(criteria.pop("states", ()) or ())
    with baton().db.engine.connect() as conn:
        results = query_tasks(conn, page=Page(offset, limit), **criteria)
    return {"count": len(results), "results": results}


@blp.route("/tasks/unlock", methods=["POST"])
@blp.arguments(UnlockTasksSchema)
@blp.response(200, CountSchema)
def unlock(data: dict[str, Any]) -> dict[str, int]:
    """Release tasks marked LOCKED by an engine (Baton locks tasks only inside a transaction, so
    this normally finds none)."""
    count = baton().run(commands.unlock_tasks, data["engine_id"], data.get("partition"), data.get("id"))
    return {"count": count}
