"""Incidents: failed jobs and tasks with no retries left, waiting for a person (``/incidents``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from client.queries import query
from client.wire import Address, Results, body, path_of, results

if TYPE_CHECKING:
    from client.transport import Transport


@dataclass(frozen=True)
class Incident:
    """An incident of a job (``job_id``) or an engine task (``task_id``)."""

    partition: date
    id: int
    element_id: int | None = None
    element_instance_id: int | None = None
    job_id: int | None = None
    task_id: int | None = None
    process_id: int | None = None
    process_instance_id: int | None = None
    bpmn_element_id: str | None = None
    error: str | None = None
    created_at: datetime | None = None
    created_by: str | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def open(self) -> bool:
        """Whether the incident is not resolved yet."""
        return self.resolved_at is None


class Incidents:
    """Query and resolve incidents."""

    def __init__(self, transport: Transport, worker_id: str) -> None:
        self._http = transport
        self._worker_id = worker_id

    def query(
        self,
        partition: date | str | None = None,
        id: int | None = None,
        job_id: int | None = None,
        task_id: int | None = None,
        process_instance_id: int | None = None,
        resolved: bool | None = None,
        offset: int = 0,
        limit: int | None = None,
        total: bool = False,
        newest_first: bool = False,
    ) -> Results[Incident]:
        """Incidents matching every given criterion (``resolved=False``: the open ones).

        Oldest first, newest first with ``newest_first``; ``total=True`` also counts every match
        (the answer's ``.total``).
        """
        data = query(
            self._http,
            "/incidents/query",
            partition=partition,
            id=id,
            job_id=job_id,
            task_id=task_id,
            process_instance_id=process_instance_id,
            resolved=resolved,
            offset=offset,
            limit=limit,
            total=total,
            newest_first=newest_first,
        )
        return results(Incident, data)

    def resolve(self, incident: Address, retry_timer: str | None = None, worker_id: str | None = None) -> None:
        """Resolve an incident: the failed job or task is tried again (retry count 0) after
        ``retry_timer`` (ISO 8601 duration; at once when omitted)."""
        self._http.request(
            "PATCH",
            f"/incidents/{path_of(incident)}/resolve",
            json=body(worker_id=worker_id or self._worker_id, retry_timer=retry_timer),
            idempotent=False,
        )
