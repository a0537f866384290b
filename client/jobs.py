"""Jobs: the units of work job workers lock, execute and complete (``/jobs``).

A job's ``type`` is what the engine asks (``EXECUTE``, ``EVALUATE_EXCLUSIVE_GATEWAY``, …); its
``job_type`` is the type from the model (``zeebe:taskDefinition type``, ``camunda:topic``). A lock
expires after its duration; there is no API to extend one, so a handler that runs longer than
the lock may see its completion refused (:class:`~client.errors.Conflict`) because another
worker locked the job again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from client.queries import one_or_many, query
from client.time import Timer
from client.variables import Variables, variables_body
from client.wire import Address, Results, address, body, path_of, record, records, results

if TYPE_CHECKING:
    from client.transport import Transport

# The largest error text the API keeps.
MAX_ERROR_LENGTH = 4000


@dataclass(frozen=True)
class Job:
    """A job. Jobs returned by the client can read their instance's variables (:meth:`variables`)."""

    partition: date
    id: int
    element_id: int | None = None
    element_instance_id: int | None = None
    process_id: int | None = None
    process_instance_id: int | None = None
    bpmn_element_id: str | None = None
    bpmn_process_id: str | None = None
    correlation_key: str | None = None
    type: str | None = None
    job_type: str | None = None
    state: str | None = None
    error: str | None = None
    retries: int | None = None
    retry_count: int | None = None
    created_at: datetime | None = None
    created_by: str | None = None
    due_at: datetime | None = None
    locked_at: datetime | None = None
    locked_by: str | None = None
    lock_expires_at: datetime | None = None
    completed_at: datetime | None = None
    raw: dict[str, Any] = dataclasses.field(default_factory=dict, repr=False, compare=False)
    _variables_api: Variables | None = dataclasses.field(default=None, repr=False, compare=False)
    _cache: dict[Any, dict[str, Any]] = dataclasses.field(default_factory=dict, repr=False, compare=False)

    @property
    def process_instance(self) -> tuple[str, int]:
        """The address ``(partition, id)`` of the job's process instance."""
        return self.partition.isoformat(), int(self.process_instance_id or 0)

    @property
    def element_instance(self) -> tuple[str, int]:
        """The address ``(partition, id)`` of the job's element instance."""
        return self.partition.isoformat(), int(self.element_instance_id or 0)

    def variables(self, names: Iterable[str] | None = None, refresh: bool = False) -> dict[str, Any]:
        """The process variables of the job's instance, decoded; fetched on first use and kept."""
        key = ("process", tuple(sorted(names)) if names else None)
        if refresh or key not in self._cache:
            self._cache[key] = self._api().get_process(self.process_instance, names)
        return dict(self._cache[key])

    def element_variables(self, names: Iterable[str] | None = None, refresh: bool = False) -> dict[str, Any]:
        """The variables of the job's element instance and its enclosing element scopes (not the
        process scope: see :meth:`variables`)."""
        key = ("element", tuple(sorted(names)) if names else None)
        if refresh or key not in self._cache:
            self._cache[key] = self._api().get_element(self.element_instance, names)
        return dict(self._cache[key])

    def _api(self) -> Variables:
        if self._variables_api is None:
            raise RuntimeError("this job is not bound to a client; read variables with client.variables")
        return self._variables_api


@dataclass(frozen=True)
class Completion:
    """How a job ends; which field applies depends on the job's ``type``.

    ``EXECUTE``: nothing, or ``error_code`` (a BPMN error, caught by an error boundary event) or
    ``escalation_code``; ``EVALUATE_EXCLUSIVE_GATEWAY``: ``exclusive_gateway_decision`` (the BPMN
    id of the element the chosen outgoing flow leads to; none: the default flow);
    ``EVALUATE_INCLUSIVE_GATEWAY``: ``inclusive_gateway_decision`` (target element ids);
    message/signal/timer definition jobs: ``message_name`` + ``message_correlation_key``,
    ``signal_name``, ``timer``; ``CALL_PROCESS``: ``called_process``.
    ``variables`` (process scope) and ``element_variables`` are sent next to the completion.
    """

    exclusive_gateway_decision: str | None = None
    inclusive_gateway_decision: Sequence[str] | None = None
    error_code: str | None = None
    escalation_code: str | None = None
    message_name: str | None = None
    message_correlation_key: str | None = None
    signal_name: str | None = None
    timer: Timer | None = None
    called_process: Mapping[str, Any] | None = None
    variables: Mapping[str, Any] | None = None
    element_variables: Mapping[str, Any] | None = None

    def to_wire(self) -> dict[str, Any]:
        """The ``completion`` object of the request (without the variables)."""
        return body(
            exclusive_gateway_decision=self.exclusive_gateway_decision,
            inclusive_gateway_decision=list(self.inclusive_gateway_decision)
            if self.inclusive_gateway_decision is not None
            else None,
            error_code=self.error_code,
            escalation_code=self.escalation_code,
            message_name=self.message_name,
            message_correlation_key=self.message_correlation_key,
            signal_name=self.signal_name,
            timer=self.timer.to_wire() if self.timer else None,
            called_process=dict(self.called_process) if self.called_process else None,
        )


class Jobs:
    """Lock, complete, fail, unlock and query jobs."""

    def __init__(self, transport: Transport, worker_id: str, variables: Variables) -> None:
        self._http = transport
        self._worker_id = worker_id
        self._variables = variables

    def lock(
        self,
        worker_id: str | None = None,
        types: Iterable[str] | None = None,
        bpmn_element_ids: Iterable[str] | None = None,
        limit: int = 1,
        lock_duration_ms: int | None = None,
        timeout_ms: int = 0,
        partition: date | str | None = None,
        id: int | None = None,
        process_ids: Iterable[int] | None = None,
        process_instance_id: int | None = None,
    ) -> list[Job]:
        """Lock up to ``limit`` due jobs; with ``timeout_ms`` (≤ 60000) wait that long for one.

        ``types`` matches the model's job type or the job kind; ``bpmn_element_ids`` the element.
        Criteria combine with AND. Not retried once sent (a lost answer leaves jobs locked until
        the lock expires).
        """
        payload = body(
            worker_id=worker_id or self._worker_id,
            types=list(types) if types else None,
            bpmn_element_ids=list(bpmn_element_ids) if bpmn_element_ids else None,
            limit=limit,
            lock_duration=lock_duration_ms,
            timeout=timeout_ms or None,
            partition=str(partition) if partition else None,
            id=id,
            process_ids=list(process_ids) if process_ids else None,
            process_instance_id=process_instance_id,
        )
        data = self._http.json(
            "POST", "/jobs/lock", json=payload, idempotent=False, timeout=self._http.timeout + timeout_ms / 1000
        )
        return [self.bind(job) for job in records(Job, data.get("jobs"))]

    def complete(
        self,
        job: Address,
        worker_id: str | None = None,
        variables: Mapping[str, Any] | None = None,
        element_variables: Mapping[str, Any] | None = None,
        completion: Completion | None = None,
    ) -> Job:
        """Complete a locked job, setting process ``variables`` and ``element_variables``
        (explicit ones win over those of ``completion``). The worker id defaults to the job's
        ``locked_by``. A job whose lock was lost raises :class:`~client.errors.Conflict`."""
        process_values = {**((completion.variables or {}) if completion else {}), **(variables or {})}
        element_values = {**((completion.element_variables or {}) if completion else {}), **(element_variables or {})}
        payload = body(
            worker_id=self._worker_of(job, worker_id),
            completion=(completion.to_wire() or None) if completion else None,
            process_variables=variables_body(process_values),
            element_variables=variables_body(element_values),
        )
        return self._complete(job, payload)

    def fail(
        self,
        job: Address,
        worker_id: str | None = None,
        error: str = "failed",
        retry_limit: int | None = None,
        retry_timer: str | None = None,
    ) -> Job:
        """Fail a locked job with a technical ``error``: a retry job is due after ``retry_timer``
        (ISO 8601 duration) while the retry count is below ``retry_limit`` (default: the model's
        ``retries``, else 0); then the job becomes an incident."""
        payload = body(
            worker_id=self._worker_of(job, worker_id),
            error=(error or "failed")[:MAX_ERROR_LENGTH],
            retry_limit=retry_limit,
            retry_timer=retry_timer,
        )
        return self._complete(job, payload)

    def unlock(
        self, worker_id: str | None = None, job: Address | None = None, partition: date | str | None = None
    ) -> int:
        """Release locked, uncompleted jobs of a worker (one ``job``, a ``partition``, or all);
        returns how many were released."""
        if job is not None:
            partition, id = address(job)
        else:
            id = None
        payload = body(worker_id=worker_id or self._worker_id, partition=str(partition) if partition else None, id=id)
        data = self._http.json("POST", "/jobs/unlock", json=payload, idempotent=True)
        return int((data or {}).get("count", 0))

    def query(
        self,
        partition: date | str | None = None,
        id: int | None = None,
        element_id: int | None = None,
        element_instance_id: int | None = None,
        process_id: int | None = None,
        process_instance_id: int | None = None,
        states: Iterable[str] | str | None = None,
        types: Iterable[str] | None = None,
        offset: int = 0,
        limit: int | None = None,
        total: bool = False,
        newest_first: bool = False,
    ) -> Results[Job]:
        """Jobs matching every given criterion (``states``: CREATED, LOCKED, DONE, CAUSED_RETRY,
        CAUSED_INCIDENT, CANCELED).

        Oldest first, newest first with ``newest_first``; ``total=True`` also counts every match
        (the answer's ``.total``).
        """
        data = query(
            self._http,
            "/jobs/query",
            partition=partition,
            id=id,
            element_id=element_id,
            element_instance_id=element_instance_id,
            process_id=process_id,
            process_instance_id=process_instance_id,
            states=one_or_many(states),
            types=list(types) if types else None,
            offset=offset,
            limit=limit,
            total=total,
            newest_first=newest_first,
        )
        found = results(Job, data)
        found[:] = [self.bind(job) for job in found]
        return found

    def bind(self, job: Job) -> Job:
        """The job, able to read its variables through this client."""
        return dataclasses.replace(job, _variables_api=self._variables)

    def _worker_of(self, job: Address, worker_id: str | None) -> str:
        return worker_id or getattr(job, "locked_by", None) or self._worker_id

    def _complete(self, job: Address, payload: dict[str, Any]) -> Job:
        # A completion sent twice is a 409 the second time: not retried once it may have arrived.
        data = self._http.json("PATCH", f"/jobs/{path_of(job)}/complete", json=payload, idempotent=False)
        return self.bind(record(Job, data))
