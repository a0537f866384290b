"""``/user-tasks``: work for people."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from api.context import baton
from api.routes.paths import resource
from api.schemas.common import CountedPageArgs, page_answer
from api.schemas.process_instances import WorkerSchema
from api.schemas.user_tasks import (
    AssignSchema,
    ClaimSchema,
    UpdateUserTaskSchema,
    UserTaskCriteriaSchema,
    UserTaskResults,
    UserTaskSchema,
)
from engine.commands import user_tasks as commands
from engine.queries.paging import Page
from engine.queries.user_tasks import query_user_tasks

blp = Blueprint("user-tasks", __name__, description="User tasks: complete, claim, unclaim, assign, query.")


@blp.route("/user-tasks/query", methods=["POST"])
@blp.arguments(CountedPageArgs, location="query", as_kwargs=True)
@blp.arguments(UserTaskCriteriaSchema)
@blp.response(200, UserTaskResults)
def query(criteria: dict[str, Any], offset: int, limit: int, total: bool) -> dict[str, Any]:
    """Query user tasks: by instance, element, ``states``, ``assignee``, ``candidateUser``,
    ``candidateGroup`` (or ``candidateGroups``: any of them), ``unassigned``, ``tags``; oldest
    first (``sortOrder`` DESC: newest first; ``?total=true`` adds ``total``)."""
    descending = criteria.pop("sort_order", "ASC") == "DESC"
    groups = list(criteria.pop("candidate_groups", []) or [])
    if "candidate_group" in criteria:
        groups.append(criteria.pop("candidate_group"))
    with baton().db.engine.connect() as conn:
        results = query_user_tasks(
            conn, candidate_groups=groups, descending=descending, page=Page(offset, limit, total), **criteria
        )
    return page_answer(results, total)


@blp.route("/user-tasks/<partition>/<int:id>", methods=["PATCH"])
@blp.arguments(UpdateUserTaskSchema)
@blp.response(200, UserTaskSchema)
def update(data: dict[str, Any], partition: str, id: int) -> Any:
    """Update a user task at its current ``revision`` (409 when stale): set variables and tags;
    ``completed`` finishes it, ``errorCode`` throws a BPMN error, ``escalationCode`` escalates.
    A completed or canceled user task cannot change again."""
    context = baton()
    day, id = resource(partition, id, "user task")
    cmd = commands.UpdateUserTask(
        revision=data["revision"],
        worker_id=data["worker_id"],
        completed=data["completed"],
        error_code=data.get("error_code"),
        escalation_code=data.get("escalation_code"),
        element_variables=data["element_variables"],
        process_variables=data["process_variables"],
        tags=data["tags"],
    )
    return context.run(commands.update_user_task, day, id, cmd, context.policy, worker_id=cmd.worker_id)


@blp.route("/user-tasks/<partition>/<int:id>/claim", methods=["PATCH"])
@blp.arguments(ClaimSchema)
@blp.response(200, UserTaskSchema)
def claim(data: dict[str, Any], partition: str, id: int) -> Any:
    """Claim a task for ``user`` (409 when another user holds it)."""
    day, id = resource(partition, id, "user task")
    return baton().run(commands.claim_user_task, day, id, data["user"], data["worker_id"])


@blp.route("/user-tasks/<partition>/<int:id>/unclaim", methods=["PATCH"])
@blp.arguments(WorkerSchema)
@blp.response(200, UserTaskSchema)
def unclaim(data: dict[str, Any], partition: str, id: int) -> Any:
    """Remove the assignee of a task."""
    day, id = resource(partition, id, "user task")
    return baton().run(commands.unclaim_user_task, day, id, data["worker_id"])


@blp.route("/user-tasks/<partition>/<int:id>/assign", methods=["PATCH"])
@blp.arguments(AssignSchema)
@blp.response(200, UserTaskSchema)
def assign(data: dict[str, Any], partition: str, id: int) -> Any:
    """Set the assignee (null clears it) and optionally the candidate users and groups."""
    day, id = resource(partition, id, "user task")
    return baton().run(
        commands.assign_user_task,
        day,
        id,
        data["worker_id"],
        data.get("assignee"),
        data.get("candidate_users"),
        data.get("candidate_groups"),
    )
