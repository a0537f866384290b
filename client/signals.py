"""Signals: broadcast to every signal start, catch and boundary event waiting for them (``/signals``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from client.queries import query
from client.variables import variables_body
from client.wire import body, record, records

if TYPE_CHECKING:
    from client.transport import Transport


@dataclass(frozen=True)
class Signal:
    """A sent signal and how many subscribers it reached."""

    id: int
    name: str | None = None
    subscriber_count: int | None = None
    created_at: datetime | None = None
    created_by: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class SignalSubscription:
    """A signal catch or boundary event of an instance waiting for a signal."""

    partition: date
    id: int
    element_id: int | None = None
    element_instance_id: int | None = None
    process_id: int | None = None
    process_instance_id: int | None = None
    bpmn_element_id: str | None = None
    name: str | None = None
    created_at: datetime | None = None
    created_by: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


class Signals:
    """Send signals and query signal subscriptions."""

    def __init__(self, transport: Transport, worker_id: str) -> None:
        self._http = transport
        self._worker_id = worker_id

    def send(self, name: str, variables: Mapping[str, Any] | None = None, worker_id: str | None = None) -> Signal:
        """Broadcast a signal (with ``variables`` for every instance it continues or starts).
        Not idempotent: never re-sent once it may have reached the server."""
        payload = body(
            name=name,
            variables=variables_body(variables),
            worker_id=worker_id or self._worker_id,
        )
        return record(Signal, self._http.json("POST", "/signals", json=payload, idempotent=False))

    def query_subscriptions(
        self,
        partition: date | str | None = None,
        process_instance_id: int | None = None,
        name: str | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> list[SignalSubscription]:
        """Signal subscriptions matching every given criterion."""
        data = query(
            self._http,
            "/signals/subscriptions/query",
            partition=partition,
            process_instance_id=process_instance_id,
            name=name,
            offset=offset,
            limit=limit,
        )
        return records(SignalSubscription, data.get("results"))
