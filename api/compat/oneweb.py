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
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask import Response, g
from flask_smorest import Blueprint
from marshmallow import INCLUDE, RAISE, Schema, ValidationError, fields, validate, validates_schema
from werkzeug.exceptions import HTTPException

from api import problems
from api.context import baton
from api.schemas.common import INT32_MAX, RequiredText, Text, Timestamp, camel
from engine.commands.process_cache import forget_cached_processes
from engine.commands.process_instances import CreateProcessInstance, create_process_instance
from engine.commands.user_task_work import assign_process_instance_user_tasks, complete_user_task_as
from engine.commands.user_tasks import assign_user_task, claim_user_task
from engine.errors import EngineError, ErrorCause, ErrorKind, not_found
from engine.queries.paging import MAX_LIMIT, Page
from engine.queries.process_instances import query_process_instances
from engine.queries.processes import query_processes
from engine.queries.records import UserTask
from engine.queries.user_task_work import query_worklist, user_task_variables
from engine.queries.user_tasks import query_user_tasks
from engine.variables import MAX_NAME_LENGTH, NAME_PATTERN, VariableChange, VariableData

blp = Blueprint(
    "oneweb",
    __name__,
    url_prefix="/BPMREST/service/runtime",
    description="ONEWEB process runtime facade: start flows, claim, complete and assign tasks.",
)

# `20250501-42`: a native partition date without dashes, then the native id.
ID_PATTERN = re.compile(r"^(\d{8})-(\d{1,10})$")
OPEN = ["STARTED"]


# --- shapes ------------------------------------------------------------------------------------


class _Shape(Schema):
    """ONEWEB's fixed shapes: camelCase keys, nulls kept."""

    class Meta:
        ordered = True

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        if field_obj.data_key is None:
            field_obj.data_key = camel(field_name)


class OnewebTaskSchema(_Shape):
    """A task (ONEWEB publishes no task shape; this is Baton's, over the native user task)."""

    task_id = fields.String(metadata={"description": "YYYYMMDD-N"})
    task_name = fields.String(allow_none=True)
    task_definition_key = fields.String(metadata={"description": "the BPMN element id"})
    instance_id = fields.String(metadata={"description": "YYYYMMDD-N"})
    process_name = fields.String(metadata={"description": "the BPMN process id"})
    state = fields.String(metadata={"description": "native user task state: STARTED, COMPLETED, CANCELED, TERMINATED"})
    assignee = fields.String(allow_none=True)
    candidate_users = fields.List(fields.String())
    candidate_groups = fields.List(fields.String())
    create_date = Timestamp()
    due_date = Timestamp(allow_none=True)
    follow_up_date = Timestamp(allow_none=True)
    priority = fields.Integer(allow_none=True)


def _envelope(name: str, data: fields.Field, doc: str) -> type[Schema]:
    return type(
        name,
        (_Shape,),
        {
            "data": data,
            "code": fields.Integer(metadata={"description": "0: success"}),
            "timestamp": fields.Integer(metadata={"description": "engine time, ms since the epoch"}),
            "total_record_count": fields.Integer(),
            "__doc__": doc,
        },
    )


InstanceEnvelope = _envelope("OnewebInstanceEnvelope", fields.String(), "``data``: the new instance id.")
DoneEnvelope = _envelope(
    "OnewebDoneEnvelope", fields.String(), '``data``: ""; ``totalRecordCount``: how many things changed.'
)
TasksEnvelope = _envelope("OnewebTasksEnvelope", fields.List(fields.Nested(OnewebTaskSchema)), "``data``: tasks.")
TaskIdsEnvelope = _envelope("OnewebTaskIdsEnvelope", fields.List(fields.String()), "``data``: the assigned task ids.")
VariablesEnvelope = _envelope("OnewebVariablesEnvelope", fields.Dict(), "``data``: variable name -> value.")


# --- arguments ---------------------------------------------------------------------------------


class _Args(Schema):
    class Meta:
        unknown = RAISE


class OnewebStartSchema(_Args):
    """``POST /process/start``."""

    processName = RequiredText(255, metadata={"description": "the BPMN process id"})
    appName = Text(255, metadata={"description": "kept as the instance tag appName"})
    uniqueId = Text(255, metadata={"description": "kept as the instance's correlation key"})
    snapVersion = Text(255, metadata={"description": "the process version; the latest when omitted"})
    object = fields.Dict(keys=fields.String(), metadata={"description": "business object: one variable per key"})


class OnewebBusinessObjectSchema(Schema):
    """A business object: any JSON object; each top-level key becomes a JSON variable."""

    class Meta:
        unknown = INCLUDE


class OnewebUserArgs(_Args):
    """``?user=``."""

    user = RequiredText(255)


# Users per assign request: 25 names of up to 255 characters keep the request line within the
# HTTP server's 8 KB.
MAX_ASSIGN_USERS = 25


class OnewebUsersArgs(_Args):
    """``?user=a&user=b`` (at most 25 users)."""

    user = fields.List(RequiredText(255), required=True, validate=validate.Length(min=1, max=MAX_ASSIGN_USERS))


class OnewebTaskFilterArgs(_Args):
    """``?user=`` / ``?role=`` / ``?group=`` (any combination: tasks matching any of them)."""

    user = Text(255, metadata={"description": "assignee or candidate user"})
    role = Text(255, metadata={"description": "candidate group (Baton has no roles; see the docs)"})
    group = Text(255, metadata={"description": "candidate group"})
    offset = fields.Integer(load_default=0, validate=validate.Range(0, INT32_MAX))
    limit = fields.Integer(load_default=MAX_LIMIT, validate=validate.Range(1, MAX_LIMIT))

    @validates_schema
    def _someone(self, data: dict[str, Any], **_: Any) -> None:
        if not (data.get("user") or data.get("role") or data.get("group")):
            raise ValidationError("give user, role or group", "user")


class OnewebClassActionArgs(_Args):
    """``?processName=``."""

    processName = Text(255)


class OnewebClassActionSchema(_Args):
    """``{"processName": …}``."""

    processName = Text(255)


# --- mapping -----------------------------------------------------------------------------------


def parse_id(text: str, what: str) -> tuple[date, int]:
    """A native address from an ONEWEB id (``20250501-42``): malformed is a 400, an id that
    cannot exist a 404."""
    match = ID_PATTERN.match(text)
    day = None
    if match:
        try:
            day = datetime.strptime(match[1], "%Y%m%d").date()
        except ValueError:
            day = None
    if match is None or day is None:
        raise EngineError(
            ErrorKind.VALIDATION,
            f"invalid {what} id",
            f"{text!r} is not a {what} id like 20250501-42 (creation date, '-', number)",
            [ErrorCause(f"#/path/{camel(what.replace(' ', '_'))}Id", "pattern", "must be YYYYMMDD-N", text)],
        )
    number = int(match[2])
    if not 0 < number <= INT32_MAX:
        raise not_found(f"failed to find {what}", f"{what} {text} could not be found")
    return day, number


def format_id(partition: date, id: int) -> str:
    """The ONEWEB id of a partitioned native resource."""
    return f"{partition:%Y%m%d}-{id}"


def business_object(data: Mapping[str, Any], pointer: str) -> list[VariableChange]:
    """One JSON variable per top-level key (names as native variable names, 400 otherwise)."""
    causes = [
        ErrorCause(f"{pointer}/{name}", "variable_name", f"must match regex {NAME_PATTERN.pattern}", name)
        for name in data
        if not NAME_PATTERN.match(name) or len(name) > MAX_NAME_LENGTH
    ]
    if causes:
        raise EngineError(ErrorKind.VALIDATION, "invalid business object", "keys become variable names", causes)
    return [VariableChange(name, VariableData("json", json.dumps(value))) for name, value in data.items()]


def envelope(data: Any, count: int = 1) -> dict[str, Any]:
    """ONEWEB's success envelope."""
    now = baton().db.clock.now()
    return {"data": data, "code": 0, "timestamp": int(now.timestamp() * 1000), "total_record_count": count}


def _worker(user: str | None = None) -> str:
    return user or g.get("api_key") or "oneweb"


def _tasks(conn: sa.Connection, tasks: Iterable[UserTask]) -> list[dict[str, Any]]:
    names: dict[int, str] = {}
    shaped = []
    for task in tasks:
        if task.process_id not in names:
            found = query_processes(conn, id=task.process_id)
            names[task.process_id] = found[0].bpmn_process_id if found else ""
        shaped.append(
            {
                "task_id": format_id(task.partition, task.id),
                "task_name": task.name,
                "task_definition_key": task.bpmn_element_id,
                "instance_id": format_id(task.partition, task.process_instance_id),
                "process_name": names[task.process_id],
                "state": task.state,
                "assignee": task.assignee,
                "candidate_users": task.candidate_users,
                "candidate_groups": task.candidate_groups,
                "create_date": task.created_at,
                "due_date": task.due_date,
                "follow_up_date": task.follow_up_date,
                "priority": task.priority,
            }
        )
    return shaped


def _value(data: VariableData) -> Any:
    if data.encoding == "json":
        try:
            return json.loads(data.value)
        except ValueError:
            return data.value
    return data.value


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
    with baton().db.engine.connect() as conn:
        if not query_process_instances(conn, partition=day, id=id):
            raise not_found("failed to get tasks", f"instance {instance_id} could not be found")
        tasks = _tasks(conn, query_user_tasks(conn, partition=day, process_instance_id=id, states=OPEN))
    return envelope(tasks, len(tasks))


@blp.route("/tasks", methods=["GET"])
@blp.arguments(OnewebTaskFilterArgs, location="query")
@blp.response(200, TasksEnvelope)
def tasks(args: dict[str, Any]) -> dict[str, Any]:
    """Open tasks of a user (assignee or candidate user), a group (candidate group) or a role (also
    a candidate group: Baton keeps no role directory). Several parameters: tasks matching any.
    ``offset``/``limit`` (at most 1000, the default) page the list."""
    groups = [name for name in (args.get("group"), args.get("role")) if name]
    with baton().db.engine.connect() as conn:
        found = query_worklist(
            conn, user=args.get("user"), groups=groups, page=Page(args["offset"], args["limit"]), states=OPEN
        )
        shaped = _tasks(conn, found)
    return envelope(shaped, len(shaped))


@blp.route("/tasks/<task_id>/variables", methods=["POST"])
@blp.response(200, VariablesEnvelope)
def task_variables(task_id: str) -> dict[str, Any]:
    """Every variable the task sees (process scope and the task's scopes), JSON values decoded."""
    context = baton()
    day, id = parse_id(task_id, "task")
    with context.db.engine.connect() as conn:
        values = user_task_variables(conn, day, id, (), context.policy.keyring)
    return envelope({name: _value(data) for name, data in values.items()}, len(values))


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
    with baton().db.engine.connect() as conn:
        return envelope("", forget_cached_processes(conn))


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
    with baton().db.engine.connect() as conn:
        return envelope("", forget_cached_processes(conn, name))
