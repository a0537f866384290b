"""Jobs over REST: lock, complete (or fail), unlock."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from types import SimpleNamespace

from engine.commands import lifecycle
from engine.errors import EngineError, ErrorCause, ErrorKind, conflict
from engine.queries.jobs import to_job
from engine.queries.records import Job
from engine.runtime import jobs as job_semantics
from engine.runtime import timers
from engine.states import InstanceState, JobKind, TaskKind, WorkState
from engine.store import incidents, steps
from engine.store import jobs as store
from engine.store import variables as variable_store
from engine.store.db import Tx
from engine.store.jobs import JobRow
from engine.variables import Policy, VariableChange
from engine.variables import check as check_variables

# The longest a worker may hold a job lock in one go.
MAX_LOCK_DURATION_MS = 24 * 3600 * 1000


@dataclass(frozen=True)
class LockJobs:
    """``POST /jobs/lock``: which due jobs a worker wants, and for how long."""

    worker_id: str
    limit: int = 1
    lock_duration_ms: int | None = None
    partition: date | None = None
    id: int | None = None
    process_ids: Sequence[int] = ()
    process_instance_id: int | None = None
    bpmn_element_ids: Sequence[str] = ()
    types: Sequence[str] = ()


def lock_jobs(tx: Tx, cmd: LockJobs, *, default_lock_seconds: int) -> list[Job]:
    """Lock due jobs for a worker (at most ``limit``, 1 to 1000)."""
    duration = (
        timedelta(milliseconds=cmd.lock_duration_ms)
        if cmd.lock_duration_ms
        else timedelta(seconds=default_lock_seconds)
    )
    rows = store.lock(
        tx,
        worker_id=cmd.worker_id,
        limit=cmd.limit,
        lock_until=tx.now + duration,
        partition=cmd.partition,
        id=cmd.id,
        process_ids=cmd.process_ids,
        process_instance_id=cmd.process_instance_id,
        bpmn_element_ids=cmd.bpmn_element_ids,
        types=cmd.types,
    )
    for row in rows:
        tx.fact("job_locked", type=row.job_type or row.type)
    return [to_job(row) for row in rows]


def unlock_jobs(tx: Tx, worker_id: str, partition: date | None = None, id: int | None = None) -> int:
    """Release the uncompleted jobs a worker holds; returns how many."""
    return store.unlock(tx, worker_id, partition, id)


@dataclass(frozen=True)
class CompleteJob:
    """``PATCH /jobs/{partition}/{id}/complete``."""

    worker_id: str
    completion: job_semantics.JobCompletion = field(default_factory=job_semantics.JobCompletion)
    element_variables: Sequence[VariableChange] = ()
    process_variables: Sequence[VariableChange] = ()
    # A technical failure: the job is retried while retries are left, then becomes an incident.
    error: str | None = None
    retry_limit: int | None = None
    retry_timer: str | None = None


def complete_job(tx: Tx, partition: date, id: int, cmd: CompleteJob, policy: Policy) -> Job:
    """Complete or fail a locked job.

    A failed job with retries left is due again after the completion's ``retryTimer``, else
    after the delay of the model's retry cycle for that retry, else at once.

    Only the worker holding the lock may complete it (409 otherwise, nothing changes). A valid
    completion moves the instance on in this transaction; an invalid one (a decision naming no
    outgoing flow, say) fails the job like an ``error`` does.
    """
    title = "failed to complete job"
    check_variables(cmd.element_variables, "#/elementVariables", policy)
    check_variables(cmd.process_variables, "#/processVariables", policy)
    retry_delay = _retry_delay(cmd.retry_timer)
    instance_row = store.lock_instance(tx, partition, id, title=title)
    instance_id = instance_row.id
    job = store.get_for_update(tx, partition, id)
    assert job is not None
    where = f"job {partition.isoformat()}/{id}"
    if job.state == WorkState.CANCELED and job.locked_by == cmd.worker_id:
        return to_job(job)  # its element ended while the worker held it: nothing left to do (go-bpmn)
    if job.completed_at is not None:
        raise conflict(title, f"{where} is completed ({job.state})")
    if job.state != WorkState.LOCKED or job.locked_by is None:
        raise conflict(title, f"{where} is not locked")
    if job.locked_by != cmd.worker_id:
        raise conflict(title, f"{where} is not locked by worker {cmd.worker_id}, but {job.locked_by}")

    step = steps.begin(tx, instance_row, policy.keyring)
    step.worker_id = cmd.worker_id
    ei = step.find(job.element_instance_id)
    if ei is None or ei.is_ended:  # the element ended meanwhile (e.g. a boundary event fired)
        return to_job(store.finish(tx, job, WorkState.CANCELED))

    variable_store.apply(
        tx,
        variable_store.Scope(partition, instance_id, job.process_id, ei.id, ei.element_id),
        cmd.element_variables,
        policy,
        "#/elementVariables",
    )
    variable_store.apply(
        tx,
        variable_store.Scope(partition, instance_id, job.process_id),
        cmd.process_variables,
        policy,
        "#/processVariables",
    )

    error = cmd.error
    if error is None:
        if instance_row.state == InstanceState.SUSPENDED:
            step.add_task(
                TaskKind.CONTINUE_EXECUTION,
                ei=ei,
                payload={"action": "complete_job", "jobType": job.type, "completion": cmd.completion.to_dict()},
            )
        else:
            try:
                job_semantics.complete(step, ei, JobKind(job.type), cmd.completion)
            except job_semantics.CompletionError as exc:
                error = str(exc)
    if error is not None:
        tx.fact("job_failed", type=job.job_type or job.type)
        if retry_delay is None:  # the worker named none: the model's retry cycle decides
            retry_delay = job_semantics.retry_delay(ei.element, JobKind(job.type), job.retry_count)
        return to_job(fail(tx, job, error, cmd.retry_limit, retry_delay, cmd.worker_id))
    tx.fact("job_completed", type=job.job_type or job.type)
    store.finish_later(tx, job, WorkState.DONE)
    lifecycle.finish(tx, step, policy)
    return to_job(
        SimpleNamespace(**{**job._asdict(), "state": str(WorkState.DONE), "completed_at": tx.now, "error": None})
    )


def fail(tx: Tx, job: JobRow, error: str, retry_limit: int | None, retry_delay: timedelta, worker_id: str) -> JobRow:
    """Fail a job: a retry job when retries are left, else an incident.

    The limit is the completion's ``retryLimit``, or the model's retries when it gives none.
    """
    limit = retry_limit if retry_limit is not None else (job.retries or 0)
    if limit > job.retry_count:
        done = store.finish(tx, job, WorkState.CAUSED_RETRY, error)
        store.retry(tx, job, tx.now + retry_delay, job.retry_count + 1, worker_id)
        return done
    done = store.finish(tx, job, WorkState.CAUSED_INCIDENT, error)
    incidents.create(
        tx,
        job.partition,
        error=error,
        created_by=worker_id,
        job_id=job.id,
        element_id=job.element_id,
        element_instance_id=job.element_instance_id,
        process_id=job.process_id,
        process_instance_id=job.process_instance_id,
    )
    return done


def _retry_delay(retry_timer: str | None) -> timedelta | None:
    if not retry_timer:
        return None
    try:
        return timers.parse_duration(retry_timer)
    except timers.TimerError as exc:
        raise EngineError(
            ErrorKind.VALIDATION,
            "invalid retry timer",
            str(exc),
            [ErrorCause("#/retryTimer", "iso8601_duration", "is invalid", retry_timer)],
        ) from exc
