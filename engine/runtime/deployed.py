"""A deployed process as the runtime sees it: the parsed model, element ids and definitions.

Deployed processes never change, so they are cached per process id for the life of a worker
(``engine.store.processes``). Derived lookups, such as which elements can still reach an
inclusive join, are computed once per process.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

from engine.model import Element, ElementType, ProcessModel, Timer


@dataclass(frozen=True)
class EventValues:
    """The name, code or timer of an event, from the model or from creation-time definitions."""

    message_name: str | None = None
    correlation_key: str | None = None
    signal_name: str | None = None
    error_code: str | None = None
    escalation_code: str | None = None
    timer: Timer | None = None


@dataclass(frozen=True)
class Deployed:
    """One process version, ready to execute."""

    id: int
    bpmn_process_id: str
    version: str
    parallelism: int
    model: ProcessModel
    element_ids: Mapping[str, int]
    events: Mapping[str, EventValues] = field(default_factory=dict)

    def element(self, bpmn_element_id: str) -> Element:
        """The model element with the given BPMN id."""
        return self.model.elements[bpmn_element_id]

    def event_values(self, bpmn_element_id: str) -> EventValues | None:
        """The known name/code/timer of an event element, or None when a job must supply it."""
        return self.events.get(bpmn_element_id)

    @cached_property
    def _upstream(self) -> Mapping[str, frozenset[str]]:
        """For each joining inclusive gateway: the elements of its scope that can reach it."""
        model = self.model
        predecessors: dict[str, set[str]] = {}
        for flow in model.flows.values():
            predecessors.setdefault(flow.target_id, set()).add(flow.source_id)
        # A token waiting at an activity can leave through an attached boundary event.
        for element in model.elements.values():
            if element.attached_to is not None:
                predecessors.setdefault(element.id, set()).add(element.attached_to)
        result: dict[str, frozenset[str]] = {}
        for element in model.elements.values():
            if element.type is not ElementType.INCLUSIVE_GATEWAY or len(element.incoming) < 2:
                continue
            seen: set[str] = set()
            stack = list(predecessors.get(element.id, ()))
            while stack:
                current = stack.pop()
                if current == element.id or current in seen:
                    continue
                seen.add(current)
                stack.extend(predecessors.get(current, ()))
            result[element.id] = frozenset(seen)
        return result

    def can_reach(self, bpmn_element_id: str, join_id: str) -> bool:
        """True if a token at ``bpmn_element_id`` may still arrive at inclusive join ``join_id``."""
        return bpmn_element_id in self._upstream.get(join_id, frozenset())
