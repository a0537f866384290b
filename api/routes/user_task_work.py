"""User tasks as people work them: a worklist, the variables a task sees, completion by the
assignee, and assigning every open task of an instance at once."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_smorest import Blueprint

from api.context import baton
from api.routes.paths import resource
from api.schemas.common import PageArgs, VariablesResponse
from api.schemas.user_task_work import CompleteAsSchema, WorklistSchema
from api.schemas.user_tasks import AssignSchema, UserTaskResults, UserTaskSchema
from engine.commands import user_task_work as commands
from engine.queries import user_task_work as queries
from engine.queries.paging import Page

blp = Blueprint(
    "user-task-work",
    __name__,
    description="User tasks as people work them: worklist, task variables, completion by the assignee.",
)


@blp.route("/user-tasks/worklist", methods=["POST"])
@blp.arguments(PageArgs, location="query", as_kwargs=True)
@blp.arguments(WorklistSchema)
@blp.response(200, UserTaskResults)
def worklist(criteria: dict[str, Any], offset: int, limit: int) -> dict[str, Any]:
    """The tasks a person may work on: assigned to ``user``, or naming ``user`` as a candidate
    user, or naming any of ``groups`` as a candidate group (open tasks unless ``states``)."""
    states = criteria.pop("states", None) or queries.OPEN
    with baton().db.engine.connect() as conn:
        results = queries.query_worklist(conn, states=states, page=Page(offset, limit), **criteria)
    return {"count": len(results), "results": results}


@blp.route("/user-tasks/<partition>/<int:id>/variables", methods=["GET"])
@blp.response(200, VariablesResponse)
def variables(partition: str, id: int) -> dict[str, Any]:
    """Every variable the task sees: process scope, enclosing scopes, its own scope (inner ones
    shadow outer ones); ``?names=a,b`` to choose."""
    context = baton()
    day, id = resource(partition, id, "user task")
    names = [name.strip() for name in request.args.get("names", "").split(",") if name.strip()][:100]
    with context.db.engine.connect() as conn:
        values = queries.user_task_variables(conn, day, id, names, context.policy.keyring)
    return {"count": len(values), "variables": [{"name": name, "data": data} for name, data in values.items()]}


@blp.route("/user-tasks/<partition>/<int:id>/complete", methods=["PATCH"])
@blp.arguments(CompleteAsSchema)
@blp.response(200, UserTaskSchema)
def complete(data: dict[str, Any], partition: str, id: int) -> Any:
    """Complete a task as ``user``, who must be its assignee (409 otherwise: claim it first).
    Unlike ``PATCH /user-tasks/{p}/{id}`` no revision is needed: the current one is used."""
    context = baton()
    day, id = resource(partition, id, "user task")
    return context.run(
        commands.complete_user_task_as,
        day,
        id,
        data["user"],
        data["worker_id"],
        context.policy,
        data["process_variables"],
        data["element_variables"],
        worker_id=data["worker_id"],
    )


@blp.route("/process-instances/<partition>/<int:id>/user-tasks/assign", methods=["PATCH"])
@blp.arguments(AssignSchema)
@blp.response(200, UserTaskResults)
def assign_all(data: dict[str, Any], partition: str, id: int) -> dict[str, Any]:
    """Assign every open user task of an instance like ``PATCH /user-tasks/{p}/{id}/assign``
    (``assignee`` null clears it; candidates are replaced when given), in one transaction."""
    day, id = resource(partition, id, "process instance")
    results = baton().run(
        commands.assign_process_instance_user_tasks,
        day,
        id,
        data["worker_id"],
        data.get("assignee"),
        data.get("candidate_users"),
        data.get("candidate_groups"),
    )
    return {"count": len(results), "results": results}
