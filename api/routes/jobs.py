"""``/jobs``: workers lock, complete and unlock jobs."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from api.context import baton
from api.long_polls import poll
from api.routes.paths import resource
from api.schemas.common import CountedPageArgs, CountSchema, camel, page_answer
from api.schemas.jobs import (
    CompleteJobSchema,
    JobCriteriaSchema,
    JobResults,
    JobSchema,
    LockedJobsSchema,
    LockJobsSchema,
    UnlockJobsSchema,
)
from engine.commands import jobs as commands
from engine.queries.jobs import query_jobs
from engine.queries.paging import Page
from engine.runtime.jobs import JobCompletion

blp = Blueprint("jobs", __name__, description="Jobs: units of work that workers lock and complete.")


@blp.route("/jobs/lock", methods=["POST"])
@blp.arguments(LockJobsSchema)
@blp.response(200, LockedJobsSchema)
def lock(data: dict[str, Any]) -> dict[str, Any]:
    """Lock due jobs for a worker; with ``timeout`` wait up to that many ms for one to appear.

    Waiting requests are woken by the commit that creates a job (PostgreSQL NOTIFY), so a
    worker never needs to poll in a loop.
    """
    context = baton()
    timeout = data.pop("timeout", 0) / 1000.0
    cmd = commands.LockJobs(
        worker_id=data["worker_id"],
        limit=data["limit"],
        lock_duration_ms=data.get("lock_duration"),
        partition=data.get("partition"),
        id=data.get("id"),
        process_ids=data.get("process_ids") or (),
        process_instance_id=data.get("process_instance_id"),
        bpmn_element_ids=data.get("bpmn_element_ids") or (),
        types=data.get("types") or (),
    )

    def look() -> tuple[int, list[Any]]:
        # The generation is read before locking, so a job created meanwhile cuts the sleep short.
        generation = context.wakeups.generation
        jobs = context.run(
            commands.lock_jobs, cmd, default_lock_seconds=context.settings.job_lock_seconds, worker_id=cmd.worker_id
        )
        return generation, jobs

    (_, jobs), _ = poll(
        timeout,
        look,
        lambda looked: bool(looked[1]),
        lambda looked, remaining: context.wakeups.wait(looked[0], remaining),
    )
    return {"count": len(jobs), "jobs": jobs}


@blp.route("/jobs/<partition>/<int:id>/complete", methods=["PATCH"])
@blp.arguments(CompleteJobSchema)
@blp.response(200, JobSchema, description="Job completed (or failed, when an error was given)")
def complete(data: dict[str, Any], partition: str, id: int) -> Any:
    """Complete a locked job, or fail it with ``error`` (retried while ``retryLimit`` allows)."""
    context = baton()
    day, id = resource(partition, id, "job")
    cmd = commands.CompleteJob(
        worker_id=data["worker_id"],
        completion=JobCompletion.from_dict(_wire_completion(data.get("completion"))),
        element_variables=data["element_variables"],
        process_variables=data["process_variables"],
        error=data.get("error"),
        retry_limit=data.get("retry_limit"),
        retry_timer=data.get("retry_timer"),
    )
    return context.run(commands.complete_job, day, id, cmd, context.policy, worker_id=cmd.worker_id)


def _wire_completion(completion: dict[str, Any] | None) -> dict[str, Any]:
    """Back to camelCase keys, the form the engine keeps in tasks."""
    if not completion:
        return {}
    result: dict[str, Any] = {}
    for key, value in completion.items():
        if key == "timer" and value:
            value = {camel(k): (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in value.items()}
        if key == "called_process" and value:
            value = {camel(k): v for k, v in value.items()}
            value["variables"] = [
                {
                    "name": change.name,
                    "data": None
                    if change.data is None
                    else {
                        "encoding": change.data.encoding,
                        "value": change.data.value,
                        "encrypted": change.data.encrypted,
                    },
                }
                for change in value.get("variables", [])
            ]
        result[camel(key)] = value
    return result


@blp.route("/jobs/unlock", methods=["POST"])
@blp.arguments(UnlockJobsSchema)
@blp.response(200, CountSchema)
def unlock(data: dict[str, Any]) -> dict[str, int]:
    """Release locked, uncompleted jobs of a worker."""
    count = baton().run(
        commands.unlock_jobs, data["worker_id"], data.get("partition"), data.get("id"), worker_id=data["worker_id"]
    )
    return {"count": count}


@blp.route("/jobs/query", methods=["POST"])
@blp.arguments(CountedPageArgs, location="query", as_kwargs=True)
@blp.arguments(JobCriteriaSchema)
@blp.response(200, JobResults)
def query(criteria: dict[str, Any], offset: int, limit: int, total: bool) -> dict[str, Any]:
    """Query jobs, oldest first (``sortOrder`` DESC: newest first; ``?total=true`` adds ``total``)."""
    criteria["states"] = tuple(criteria.pop("states", ()) or ())
    criteria["types"] = tuple(criteria.pop("types", ()) or ())
    descending = criteria.pop("sort_order", "ASC") == "DESC"
    with baton().db.engine.connect() as conn:
        results = query_jobs(conn, descending=descending, page=Page(offset, limit, total), **criteria)
    return page_answer(results, total)
