"""Messages: correlate to message start, catch and boundary events, or wait buffered (``/messages``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from client.queries import query
from client.time import Timer
from client.variables import variables_body
from client.wire import body, record, records

if TYPE_CHECKING:
    from client.transport import Transport


@dataclass(frozen=True)
class Message:
    """A sent message; ``correlated`` tells whether a subscriber has received it yet."""

    id: int
    name: str | None = None
    correlation_key: str | None = None
    unique_key: str | None = None
    correlated: bool | None = None
    created_at: datetime | None = None
    created_by: str | None = None
    expires_at: datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class MessageSubscription:
    """A message catch or boundary event of an instance waiting for a message."""

    partition: date
    id: int
    element_id: int | None = None
    element_instance_id: int | None = None
    process_id: int | None = None
    process_instance_id: int | None = None
    bpmn_element_id: str | None = None
    name: str | None = None
    correlation_key: str | None = None
    created_at: datetime | None = None
    created_by: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


class Messages:
    """Send and query messages and message subscriptions."""

    def __init__(self, transport: Transport, worker_id: str) -> None:
        self._http = transport
        self._worker_id = worker_id

    def send(
        self,
        name: str,
        correlation_key: str,
        variables: Mapping[str, Any] | None = None,
        unique_key: str | None = None,
        expiration: Timer | str | None = None,
        worker_id: str | None = None,
    ) -> Message:
        """Send a message to the subscriber with the same name and correlation key, or buffer it
        until one appears or it expires (``expiration``: a :class:`~client.time.Timer` or an ISO
        8601 duration such as ``PT1H``). With ``unique_key`` a second identical message is
        discarded, which also makes the request safe to retry."""
        if isinstance(expiration, str):
            expiration = Timer(time_duration=expiration)
        payload = body(
            name=name,
            correlation_key=correlation_key,
            unique_key=unique_key,
            expiration_timer=expiration.to_wire() if expiration else None,
            variables=variables_body(variables),
            worker_id=worker_id or self._worker_id,
        )
        data = self._http.json("POST", "/messages", json=payload, idempotent=unique_key is not None)
        return record(Message, data)

    def query(
        self,
        id: int | None = None,
        name: str | None = None,
        correlation_key: str | None = None,
        exclude_expired: bool | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> list[Message]:
        """Messages matching every given criterion."""
        data = query(
            self._http,
            "/messages/query",
            id=id,
            name=name,
            correlation_key=correlation_key,
            exclude_expired=exclude_expired,
            offset=offset,
            limit=limit,
        )
        return records(Message, data.get("results"))

    def query_subscriptions(
        self,
        partition: date | str | None = None,
        process_instance_id: int | None = None,
        name: str | None = None,
        correlation_key: str | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> list[MessageSubscription]:
        """Message subscriptions matching every given criterion."""
        data = query(
            self._http,
            "/messages/subscriptions/query",
            partition=partition,
            process_instance_id=process_instance_id,
            name=name,
            correlation_key=correlation_key,
            offset=offset,
            limit=limit,
        )
        return records(MessageSubscription, data.get("results"))
