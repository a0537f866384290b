"""Resolving incidents: the failed work is tried again."""

from __future__ import annotations

from datetime import date, timedelta

from engine.errors import EngineError, ErrorCause, ErrorKind, conflict, not_found
from engine.queries.incidents import to_incident
from engine.queries.records import Incident
from engine.runtime import timers
from engine.states import TaskKind
from engine.store import engine_tasks as task_store
from engine.store import incidents as store
from engine.store import jobs as job_store
from engine.store import steps
from engine.store.db import Tx


def resolve_incident(tx: Tx, partition: date, id: int, worker_id: str, retry_timer: str | None = None) -> Incident:
    """Resolve an incident: a new job (or task) with retry count 0 becomes due after ``retry_timer``.

    An incident of an element that could not go on by itself (a failed expression, say) is
    resolved by entering that element again.
    """
    title = "failed to resolve incident"
    delay = timedelta(0)
    if retry_timer:
        try:
            delay = timers.parse_duration(retry_timer)
        except timers.TimerError as exc:
            raise EngineError(
                ErrorKind.VALIDATION,
                title,
                str(exc),
                [ErrorCause("#/retryTimer", "iso8601_duration", "is invalid", retry_timer)],
            ) from exc
    head = store.process_instance_id_of(tx, partition, id)
    if head is None:
        raise not_found(title, f"incident {partition.isoformat()}/{id} could not be found")
    if head.process_instance_id is not None:
        store.lock_instance(tx, partition, id, title=title)
    incident = store.get_for_update(tx, partition, id)
    assert incident is not None
    if incident.resolved_at is not None:
        raise conflict(title, f"incident {partition.isoformat()}/{id} is resolved")
    resolved = store.resolve(tx, partition, id, worker_id)
    due_at = tx.now + delay
    if store.work_ended(tx, partition, incident.process_instance_id, incident.element_instance_id):
        # The instance was canceled (or its element left) while the incident was open: resolving
        # closes the incident and starts no work for a token that is gone.
        return to_incident(resolved)
    if incident.job_id is not None:
        job = job_store.get(tx, partition, incident.job_id)
        job_store.retry(tx, job, due_at, 0, worker_id)
    elif incident.task_id is not None:
        task = store.failed_task(tx, partition, incident.task_id)
        task_store.insert_again(tx, task, due_at, created_by=worker_id)
    elif incident.element_instance_id is not None:
        steps.insert_tasks(
            tx,
            [
                {
                    "partition": partition,
                    "element_id": incident.element_id,
                    "element_instance_id": incident.element_instance_id,
                    "process_id": incident.process_id,
                    "process_instance_id": incident.process_instance_id,
                    "type": str(TaskKind.CONTINUE_EXECUTION),
                    "serialized_task": {"action": "enter"},
                    "due_at": due_at,
                    "created_by": worker_id,
                }
            ],
        )
    return to_incident(resolved)
