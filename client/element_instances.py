"""Element instances: the token tree of process instances (``/element-instances/query``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from client.queries import query
from client.wire import records

if TYPE_CHECKING:
    from client.transport import Transport


@dataclass(frozen=True)
class ElementInstance:
    """An instance of a BPMN element inside a process instance; ``parent_id`` builds the tree
    (the root is the PROCESS element instance)."""

    partition: date
    id: int
    parent_id: int | None = None
    prev_id: int | None = None
    prev_element_id: int | None = None
    element_id: int | None = None
    process_id: int | None = None
    process_instance_id: int | None = None
    bpmn_element_id: str | None = None
    bpmn_element_type: str | None = None
    state: str | None = None
    created_at: datetime | None = None
    created_by: str | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


class ElementInstances:
    """Query element instances."""

    def __init__(self, transport: Transport) -> None:
        self._http = transport

    def query(
        self,
        partition: date | str | None = None,
        id: int | None = None,
        parent_id: int | None = None,
        process_id: int | None = None,
        process_instance_id: int | None = None,
        bpmn_element_id: str | None = None,
        states: Iterable[str] | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> list[ElementInstance]:
        """Element instances matching every given criterion."""
        data = query(
            self._http,
            "/element-instances/query",
            partition=partition,
            id=id,
            parent_id=parent_id,
            process_id=process_id,
            process_instance_id=process_instance_id,
            bpmn_element_id=bpmn_element_id,
            states=list(states) if states else None,
            offset=offset,
            limit=limit,
        )
        return records(ElementInstance, data.get("results"))
