"""``/process-instances``: create, query, suspend, resume, cancel, start."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from api.context import baton
from api.long_polls import poll
from api.routes.paths import resource
from api.schemas.common import CountedPageArgs, PageArgs, page_answer
from api.schemas.process_instances import (
    CancelSchema,
    CreateProcessInstanceSchema,
    ProcessInstanceCriteriaSchema,
    ProcessInstanceResults,
    ProcessInstanceSchema,
    RestartSchema,
    StatisticsArgs,
    StatisticsSchema,
    TraceResults,
    WaitArgs,
    WorkerSchema,
)
from engine.commands import process_instances as commands
from engine.commands.modification import restart_from
from engine.errors import not_found
from engine.queries.paging import Page
from engine.queries.process_instances import query_process_instances
from engine.queries.statistics import statistics
from engine.queries.trace import trace
from engine.states import ENDED_STATES

ENDED = {str(state) for state in ENDED_STATES}
# sortBy on the wire -> engine.queries.process_instances.SORT_KEYS
_SORT_KEYS = {
    "createdAt": "created_at",
    "startedAt": "started_at",
    "endedAt": "ended_at",
    "state": "state",
    "bpmnProcessId": "bpmn_process_id",
}

blp = Blueprint("process-instances", __name__, description="Process instances: start, watch, suspend, cancel.")


@blp.route("/process-instances", methods=["POST"])
@blp.arguments(CreateProcessInstanceSchema)
@blp.response(201, ProcessInstanceSchema, description="Process instance created")
def create(data: dict[str, Any]) -> Any:
    """Create a process instance and start it (unless ``start`` is false).

    The instance is written with a START_PROCESS_INSTANCE engine task; a Celery worker starts it
    right after the commit. Without ``version`` the latest version is started.
    """
    context = baton()
    cmd = commands.CreateProcessInstance(
        bpmn_process_id=data["bpmn_process_id"],
        version=data.get("version"),
        correlation_key=data.get("correlation_key"),
        tags=data["tags"],
        variables=data["variables"],
        worker_id=data["worker_id"],
        start=data["start"],
    )
    return context.run(commands.create_process_instance, cmd, context.policy, worker_id=cmd.worker_id)


@blp.route("/process-instances/query", methods=["POST"])
@blp.arguments(CountedPageArgs, location="query", as_kwargs=True)
@blp.arguments(ProcessInstanceCriteriaSchema)
@blp.response(200, ProcessInstanceResults)
def query(criteria: dict[str, Any], offset: int, limit: int, total: bool) -> dict[str, Any]:
    """Query process instances (``state`` and ``states`` filter by state; ``startedAfter`` and
    ``startedBefore`` by creation time; ``sortBy`` and ``sortOrder`` choose the order;
    ``?total=true`` adds ``total``, the number of all matches)."""
    states = list(criteria.pop("states", []) or [])
    if "state" in criteria:
        states.append(criteria.pop("state"))
    sort_by = criteria.pop("sort_by", None)
    descending = criteria.pop("sort_order", "ASC") == "DESC"
    with baton().db.engine.connect() as conn:
        results = query_process_instances(
            conn,
            states=states,
            sort_by=_SORT_KEYS.get(sort_by) if sort_by else None,
            descending=descending,
            page=Page(offset, limit, total),
            **criteria,
        )
    return page_answer(results, total)


@blp.route("/process-instances/<partition>/<int:id>/suspend", methods=["PATCH"])
@blp.arguments(WorkerSchema)
@blp.response(204, description="Process instance suspended")
def suspend(data: dict[str, Any], partition: str, id: int) -> None:
    """Suspend a started instance: its jobs are not locked and its engine tasks wait."""
    day, id = resource(partition, id, "process instance")
    baton().run(commands.suspend_process_instance, day, id, data["worker_id"], worker_id=data["worker_id"])


@blp.route("/process-instances/<partition>/<int:id>/resume", methods=["PATCH"])
@blp.arguments(WorkerSchema)
@blp.response(204, description="Process instance resumed")
def resume(data: dict[str, Any], partition: str, id: int) -> None:
    """Resume a suspended instance."""
    day, id = resource(partition, id, "process instance")
    baton().run(commands.resume_process_instance, day, id, data["worker_id"], worker_id=data["worker_id"])


@blp.route("/process-instances/<partition>/<int:id>/cancel", methods=["PATCH"])
@blp.arguments(CancelSchema)
@blp.response(200, ProcessInstanceSchema, description="Process instance canceled")
def cancel(data: dict[str, Any], partition: str, id: int) -> Any:
    """Cancel an instance: it ends as CANCELED with its jobs, tasks, user tasks and subscriptions.

    The optional ``reason`` is kept as the instance's ``endReason``.
    """
    context = baton()
    day, id = resource(partition, id, "process instance")
    return context.run(
        commands.cancel_process_instance,
        day,
        id,
        data["worker_id"],
        data.get("reason"),
        context.policy,
        worker_id=data["worker_id"],
    )


@blp.route("/process-instances/<partition>/<int:id>/start", methods=["PATCH"])
@blp.arguments(WorkerSchema)
@blp.response(200, ProcessInstanceSchema, description="Start scheduled")
def start(data: dict[str, Any], partition: str, id: int) -> Any:
    """Start an instance that was created with ``start: false``."""
    day, id = resource(partition, id, "process instance")
    return baton().run(commands.start_process_instance, day, id, worker_id=data["worker_id"])


@blp.route("/process-instances/<partition>/<int:id>/wait", methods=["GET"])
@blp.arguments(WaitArgs, location="query")
@blp.response(200, ProcessInstanceSchema)
def wait(args: dict[str, Any], partition: str, id: int) -> Any:
    """Wait (long poll) until the instance has ended or ``timeout`` ms passed; answers with the
    instance either way (check its ``state``). Woken by the commit that ends the instance."""
    context = baton()
    day, id = resource(partition, id, "process instance")
    key = f"{day.isoformat()}/{id}"

    def look() -> Any:
        with context.db.engine.connect() as conn:
            found = query_process_instances(conn, partition=day, id=id)
        if not found:
            raise not_found("failed to wait for process instance", f"process instance {key} could not be found")
        return found[0]

    instance, _ = poll(
        args["timeout"] / 1000.0,
        look,
        lambda instance: instance.state in ENDED,
        lambda _, remaining: context.wakeups.wait_ended(key, remaining),
    )
    return instance


@blp.route("/process-instances/<partition>/<int:id>/trace", methods=["GET"])
@blp.arguments(PageArgs, location="query", as_kwargs=True)
@blp.response(200, TraceResults)
def get_trace(partition: str, id: int, offset: int, limit: int) -> dict[str, Any]:
    """The execution trace: every state change of every element instance, in order (paged with
    ``offset`` and ``limit``, at most 1000 a page)."""
    day, id = resource(partition, id, "process instance")
    with baton().db.engine.connect() as conn:
        events = trace(conn, day, id, page=Page(offset, limit))
    return {"count": len(events), "results": events}


@blp.route("/process-instances/<partition>/<int:id>/restart", methods=["POST"])
@blp.arguments(RestartSchema)
@blp.response(200, ProcessInstanceSchema)
def restart(data: dict[str, Any], partition: str, id: int) -> Any:
    """Process instance modification: cancel every active token and start one at
    ``bpmnElementId`` (opening the sub-process scopes around it). An ended instance is reopened."""
    context = baton()
    day, id = resource(partition, id, "process instance")
    return context.run(
        restart_from,
        day,
        id,
        data["bpmn_element_id"],
        data["worker_id"],
        context.policy,
        data["variables"],
        worker_id=data["worker_id"],
    )


@blp.route("/statistics", methods=["GET"])
@blp.arguments(StatisticsArgs, location="query")
@blp.response(200, StatisticsSchema)
def get_statistics(args: dict[str, Any]) -> Any:
    """Instances by state and by process, open incidents, jobs by state, open user tasks."""
    with baton().db.engine.connect() as conn:
        return statistics(conn, **args)
