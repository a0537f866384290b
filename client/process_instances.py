"""Process instances: start, query, suspend, resume, cancel (``/process-instances``)."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from client.element_instances import ElementInstance, ElementInstances
from client.queries import one_or_many, query, single
from client.variables import variables_body
from client.wire import Address, Results, address, body, path_of, record, results, tags_body

if TYPE_CHECKING:
    from client.transport import Transport

# States an instance can be in; the last three are final.
STATES = ("CREATED", "QUEUED", "STARTED", "SUSPENDED", "COMPLETED", "CANCELED", "TERMINATED")
ENDED_STATES = frozenset({"COMPLETED", "CANCELED", "TERMINATED"})


@dataclass(frozen=True)
class ProcessInstance:
    """An instance of a deployed process, addressed by ``partition`` (the day it was created) and ``id``."""

    partition: date
    id: int
    parent_id: int | None = None
    root_id: int | None = None
    process_id: int | None = None
    bpmn_process_id: str | None = None
    version: str | None = None
    correlation_key: str | None = None
    state: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    created_at: datetime | None = None
    created_by: str | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    ended_by: str | None = None
    end_reason: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def ended(self) -> bool:
        """Whether the instance reached a final state (COMPLETED, CANCELED, TERMINATED)."""
        return self.state in ENDED_STATES


class ProcessInstances:
    """Create and operate process instances."""

    def __init__(self, transport: Transport, worker_id: str, element_instances: ElementInstances) -> None:
        self._http = transport
        self._worker_id = worker_id
        self._element_instances = element_instances

    def start(
        self,
        bpmn_process_id: str,
        version: str | None = None,
        variables: Mapping[str, Any] | None = None,
        correlation_key: str | None = None,
        tags: Mapping[str, str] | None = None,
        start: bool = True,
        worker_id: str | None = None,
    ) -> ProcessInstance:
        """Create an instance of a process (its latest version unless ``version``) and start it.

        ``variables`` are plain Python values (sent JSON encoded) or
        :class:`~client.variables.VariableData`. With ``start=False`` the instance stays CREATED
        until :meth:`start_created`. Not idempotent: never re-sent once it may have reached the server.
        """
        payload = body(
            bpmn_process_id=bpmn_process_id,
            version=version,
            variables=variables_body(variables),
            correlation_key=correlation_key,
            tags=tags_body(tags),
            worker_id=worker_id or self._worker_id,
        )
        if not start:
            payload["start"] = False
        return record(ProcessInstance, self._http.json("POST", "/process-instances", json=payload, idempotent=False))

    def query(
        self,
        partition: date | str | None = None,
        id: int | None = None,
        process_id: int | None = None,
        bpmn_process_id: str | None = None,
        states: Iterable[str] | str | None = None,
        correlation_key: str | None = None,
        parent_id: int | None = None,
        tags: Mapping[str, str] | None = None,
        offset: int = 0,
        limit: int | None = None,
        total: bool = False,
        newest_first: bool = False,
    ) -> Results[ProcessInstance]:
        """Process instances matching every given criterion (``states``: any of them).

        Oldest first, newest first with ``newest_first``; ``total=True`` also counts every match
        (the answer's ``.total``).
        """
        data = query(
            self._http,
            "/process-instances/query",
            partition=partition,
            id=id,
            process_id=process_id,
            bpmn_process_id=bpmn_process_id,
            states=one_or_many(states),
            correlation_key=correlation_key,
            parent_id=parent_id,
            tags=tags_body(tags),
            offset=offset,
            limit=limit,
            total=total,
            newest_first=newest_first,
        )
        return results(ProcessInstance, data)

    def get(self, instance: Address) -> ProcessInstance:
        """The current state of one instance (:class:`~client.errors.NotFound` when there is none)."""
        partition, id = address(instance)
        return single(self.query(partition=partition, id=id), "process instance", f"{partition}/{id}")

    def suspend(self, instance: Address, worker_id: str | None = None) -> None:
        """Suspend a started instance: its jobs cannot be locked and its engine tasks wait."""
        self._patch(instance, "suspend", worker_id)

    def resume(self, instance: Address, worker_id: str | None = None) -> None:
        """Resume a suspended instance."""
        self._patch(instance, "resume", worker_id)

    def cancel(self, instance: Address, reason: str | None = None, worker_id: str | None = None) -> ProcessInstance:
        """End an instance as CANCELED with its jobs, tasks, user tasks and subscriptions;
        ``reason`` is kept as its ``end_reason``."""
        data = self._http.json(
            "PATCH",
            f"/process-instances/{path_of(instance)}/cancel",
            json=body(worker_id=worker_id or self._worker_id, reason=reason),
            idempotent=False,
        )
        return record(ProcessInstance, data) if data else self.get(instance)

    def start_created(self, instance: Address, worker_id: str | None = None) -> ProcessInstance:
        """Start an instance that was created with ``start=False``."""
        data = self._patch(instance, "start", worker_id)
        return record(ProcessInstance, data) if data else self.get(instance)

    def element_instances(self, instance: Address, states: Iterable[str] | None = None) -> list[ElementInstance]:
        """The token tree of an instance: all its element instances (``parent_id`` links them)."""
        partition, id = address(instance)
        return self._element_instances.query(partition=partition, process_instance_id=id, states=states)

    def wait(
        self,
        instance: Address,
        states: Iterable[str] = ENDED_STATES,
        timeout: float = 30.0,
        interval: float = 0.2,
    ) -> ProcessInstance:
        """Poll until the instance is in one of ``states`` (by default: ended); ``TimeoutError``
        after ``timeout`` seconds."""
        wanted = set(states)
        deadline = time.monotonic() + timeout
        while True:
            current = self.get(instance)
            if current.state in wanted:
                return current
            if time.monotonic() >= deadline:
                raise TimeoutError(f"process instance {path_of(instance)} is {current.state}, not {sorted(wanted)}")
            time.sleep(interval)

    def _patch(self, instance: Address, action: str, worker_id: str | None) -> Any:
        return self._http.json(
            "PATCH",
            f"/process-instances/{path_of(instance)}/{action}",
            json={"workerId": worker_id or self._worker_id},
            idempotent=False,
        )
