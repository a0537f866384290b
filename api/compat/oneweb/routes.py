"""ONEWEB process runtime facade: ``/BPMREST/service/runtime/…`` onto native Baton commands.

ONEWEB's REST methods start process flows and drive their human tasks. Each endpoint here is a
mapping onto one native command or query (see ``docs/compat-oneweb.md``):

- an instance id is ``YYYYMMDD-N`` (the native partition date without dashes, ``-``, the native
  instance id); a task id has the same form over the native user task;
- every success is ONEWEB's envelope ``{data, code: 0, timestamp, totalRecordCount}``;
- a business object (the JSON object of a start or completion) becomes one JSON variable per
  top-level key;
- errors are Baton's ``application/problem+json`` with ONEWEB's ``code`` member added (the HTTP
  status; ONEWEB clients test ``code != 0``).

Ids and business objects: ``terms``; arguments: ``args``; what is read: ``reading``; the answers
and their schemas: ``shapes``.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response, g
from flask_smorest import Blueprint
from werkzeug.exceptions import HTTPException

from api import problems
from api.compat.oneweb import reading
from api.compat.oneweb.args import (
    OnewebBusinessObjectSchema,
    OnewebClassActionArgs,
    OnewebClassActionSchema,
    OnewebStartSchema,
    OnewebTaskFilterArgs,
    OnewebUserArgs,
    OnewebUsersArgs,
)
from api.compat.oneweb.shapes import (
    DoneEnvelope,
    InstanceEnvelope,
    TaskIdsEnvelope,
    TasksEnvelope,
    VariablesEnvelope,
    envelope,
    value,
)
from api.compat.oneweb.shapes import (
    tasks as task_shapes,
)
from api.compat.oneweb.terms import business_object, format_id, parse_id
from api.context import baton
from engine.commands.process_instances import CreateProcessInstance, create_process_instance
from engine.commands.user_task_work import assign_process_instance_user_tasks, complete_user_task_as
from engine.commands.user_tasks import assign_user_task, claim_user_task
from engine.errors import EngineError, ErrorCause, ErrorKind, not_found
from engine.queries.paging import Page
from engine.variables import VariableChange

blp = Blueprint(
    "oneweb",
    __name__,
    url_prefix="/BPMREST/service/runtime",
    description="ONEWEB process runtime facade: start flows, claim, complete and assign tasks.",
)


def _worker(user: str | None = None) -> str:
    return user or g.get("api_key") or "oneweb"


def _start(process_name: str, version: str | None, variables: list[VariableChange], **extra: Any) -> dict[str, Any]:
    context = baton()
    worker = _worker()
    cmd = CreateProcessInstance(
        bpmn_process_id=process_name, worker_id=worker, version=version, variables=variables, **extra
    )
    instance = context.run(create_process_instance, cmd, context.policy, worker_id=worker)
    return envelope(format_id(instance.partition, instance.id))


# --- errors ------------------------------------------------------------------------------------


def _with_code(response: Response) -> Response:
    body = json.loads(response.get_data())
    body["code"] = response.status_code
    response.set_data(json.dumps(body))
    return response


@blp.errorhandler(EngineError)
def _engine_error(exc: EngineError) -> Response:
    return _with_code(problems.from_engine_error(exc))


@blp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> Response:
    return _with_code(problems.from_http_exception(exc))


# --- endpoints ---------------------------------------------------------------------------------


@blp.route("/process/start", methods=["POST"])
@blp.arguments(OnewebStartSchema)
@blp.response(200, InstanceEnvelope)
def start(data: dict[str, Any]) -> dict[str, Any]:
    """Start a flow: ``processName`` is the BPMN process id, ``snapVersion`` the version (latest
    when omitted), ``object`` the business object (one variable per key); ``uniqueId`` becomes
    the correlation key, ``appName`` the tag ``appName``. ``data`` is the new instance id."""
    tags = {"appName": data["appName"]} if data.get("appName") else {}
    return _start(
        data["processName"],
        data.get("snapVersion"),
        business_object(data.get("object") or {}, "#/object"),
        correlation_key=data.get("uniqueId"),
        tags=tags,
    )


@blp.route("/process/<process_name>/start", methods=["POST"])
@blp.arguments(OnewebBusinessObjectSchema)
@blp.response(200, InstanceEnvelope)
def start_legacy(data: dict[str, Any], process_name: str) -> dict[str, Any]:
    """Legacy start (not recommended): the latest version of BPMN process ``processName``; the
    body is the business object itself (one variable per key; may be empty)."""
    return _start(process_name, None, business_object(data, "#"))


@blp.route("/tasks/<task_id>/claim", methods=["POST"])
@blp.arguments(OnewebUserArgs, location="query")
@blp.response(200, DoneEnvelope)
def claim(args: dict[str, Any], task_id: str) -> dict[str, Any]:
    """Claim a task for ``user``: it becomes the assignee (409 when another user holds it)."""
    day, id = parse_id(task_id, "task")
    baton().run(claim_user_task, day, id, args["user"], _worker(args["user"]))
    return envelope("")


@blp.route("/tasks/<task_id>/complete", methods=["POST"])
@blp.arguments(OnewebUserArgs, location="query")
@blp.arguments(OnewebBusinessObjectSchema)
@blp.response(200, DoneEnvelope)
def complete(args: dict[str, Any], data: dict[str, Any], task_id: str) -> dict[str, Any]:
    """Complete a task as ``user``, who must have claimed it (409 otherwise). An optional JSON
    object body sets process variables (one per key) with the completion."""
    context = baton()
    day, id = parse_id(task_id, "task")
    user = args["user"]
    variables = business_object(data, "#")
    context.run(complete_user_task_as, day, id, user, _worker(user), context.policy, variables, worker_id=user)
    return envelope("")


@blp.route("/instance/<instance_id>/tasks", methods=["GET"])
@blp.response(200, TasksEnvelope)
def instance_tasks(instance_id: str) -> dict[str, Any]:
    """The open tasks of an instance (an ended instance has none)."""
    day, id = parse_id(instance_id, "instance")
    found = reading.instance_tasks(day, id)
    if found is None:
        raise not_found("failed to get tasks", f"instance {instance_id} could not be found")
    tasks = task_shapes(*found)
    return envelope(tasks, len(tasks))


@blp.route("/tasks", methods=["GET"])
@blp.arguments(OnewebTaskFilterArgs, location="query")
@blp.response(200, TasksEnvelope)
def tasks(args: dict[str, Any]) -> dict[str, Any]:
    """Open tasks of a user (assignee or candidate user), a group (candidate group) or a role (also
    a candidate group: Baton keeps no role directory). Several parameters: tasks matching any.
    ``offset``/``limit`` (at most 1000, the default) page the list."""
    groups = [name for name in (args.get("group"), args.get("role")) if name]
    shaped = task_shapes(*reading.worklist(args.get("user"), groups, Page(args["offset"], args["limit"])))
    return envelope(shaped, len(shaped))


@blp.route("/tasks/<task_id>/variables", methods=["POST"])
@blp.response(200, VariablesEnvelope)
def task_variables(task_id: str) -> dict[str, Any]:
    """Every variable the task sees (process scope and the task's scopes), JSON values decoded."""
    day, id = parse_id(task_id, "task")
    values = reading.task_variables(day, id)
    return envelope({name: value(data) for name, data in values.items()}, len(values))


@blp.route("/tasks/<task_id>/assign", methods=["POST"])
@blp.arguments(OnewebUsersArgs, location="query")
@blp.response(200, DoneEnvelope)
def assign(args: dict[str, Any], task_id: str) -> dict[str, Any]:
    """Offer a task to the users: they become its candidate users and its assignee is cleared;
    one of them then claims it. Candidate groups stay."""
    day, id = parse_id(task_id, "task")
    baton().run(assign_user_task, day, id, _worker(), None, args["user"], None)
    return envelope("")


@blp.route("/instance/<instance_id>/tasks/assign", methods=["POST"])
@blp.arguments(OnewebUsersArgs, location="query")
@blp.response(200, TaskIdsEnvelope)
def assign_instance(args: dict[str, Any], instance_id: str) -> dict[str, Any]:
    """Offer every open task of an instance to the user(s), as ``tasks/{taskId}/assign`` does;
    ``data`` lists the task ids (409 when the instance has ended)."""
    day, id = parse_id(instance_id, "instance")
    assigned = baton().run(assign_process_instance_user_tasks, day, id, _worker(), None, args["user"], None)
    ids = [format_id(task.partition, task.id) for task in assigned]
    return envelope(ids, len(ids))


@blp.route("/refreshCache", methods=["POST"])
@blp.response(200, DoneEnvelope)
def refresh_cache() -> dict[str, Any]:
    """Drop every cached process graph of the API process that serves the request.

    Deployed processes never change in Baton, so no cache is ever stale: this frees memory and
    is never needed for correctness. ``totalRecordCount``: how many graphs were cached."""
    return envelope("", reading.forget_processes())


@blp.route("/classAction", methods=["POST"])
@blp.arguments(OnewebClassActionArgs, location="query")
@blp.arguments(OnewebClassActionSchema)
@blp.response(200, DoneEnvelope)
def class_action(args: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """Drop the cached graphs of one process (every version of BPMN process ``processName``,
    given in the JSON body or the query); as ``refreshCache``, never needed for correctness."""
    name = data.get("processName") or args.get("processName")
    if not name:
        raise EngineError(
            ErrorKind.VALIDATION,
            "failed to refresh process cache",
            "name the process: processName in the JSON body or the query",
            [ErrorCause("#/processName", "required", "is required")],
        )
    return envelope("", reading.forget_processes(name))
