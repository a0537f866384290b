"""A process model under construction: what the parser has read so far, and what is wrong with it.

The parser's element handlers add elements and sequence flows to a :class:`ProcessBuilder` and
report problems on it; :meth:`ProcessBuilder.finish` then links flows and elements into the
immutable :class:`~engine.model.elements.ProcessModel`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from engine.errors import ErrorCause
from engine.model.causes import (
    ELEMENT,
    ID,
    LENIENCY,
    NOT_SUPPORTED,
    at_line,
    describe,
    element_pointer,
    process_pointer,
)
from engine.model.elements import ACTIVITIES, Element, ProcessModel, SequenceFlow
from engine.model.extensions import read_async
from engine.model.nodes import Node, attribute, bpmn_tag, text_of


@dataclass
class ProcessBuilder:
    """The elements, flows and problems of one ``<process>`` while it is being read."""

    process_id: str
    # Root elements of the document (message, signal, error, escalation…) by id.
    roots: Mapping[str, Node]
    # The dialect of bare expressions (engine.model.dialects).
    expression_language: str = "feel"
    elements: dict[str, Element] = field(default_factory=dict)
    flows: dict[str, SequenceFlow] = field(default_factory=dict)
    causes: list[ErrorCause] = field(default_factory=list)
    # What was read leniently (see docs/bpmn.md, "Models from other engines").
    warnings: list[ErrorCause] = field(default_factory=list)
    # Ids of elements that were refused (unknown or unsupported) and so are not in ``elements``.
    refused: set[str] = field(default_factory=set)
    # Flow id → ids of the elements that list it in an <outgoing> / <incoming> child.
    declared_sources: dict[str, list[str]] = field(default_factory=dict)
    declared_targets: dict[str, list[str]] = field(default_factory=dict)

    def new_id(self, node: Node) -> str | None:
        """The id of an element about to be read; None (and a cause) when it cannot be used.

        A missing id is reported here. A duplicate id is reported once for the whole document
        by the parser, so here the later element is just skipped.
        """
        element_id = attribute(node, "id")
        if element_id is None:
            tag = bpmn_tag(node) or "?"
            self.causes.append(
                ErrorCause(
                    pointer=element_pointer(self.process_id, ""),
                    type=ID,
                    detail=f"element of type {tag} has no id{at_line(node.sourceline)}",
                )
            )
            return None
        if element_id in self.elements or element_id in self.flows or element_id in self.refused:
            return None
        return element_id

    def add(self, element: Element, node: Node) -> None:
        """Add an element, noting the flows its ``<incoming>``/``<outgoing>`` children name.

        An activity may name a ``default`` flow, taken when none of its conditional flows is. Every
        element may carry the async flags (``camunda:asyncBefore``…), read here once for all.
        """
        if element.type in ACTIVITIES and element.default_flow is None and attribute(node, "default"):
            element = replace(element, default_flow=attribute(node, "default"))
        problems: list[str] = []
        before, after = read_async(node, problems)
        if before or after:
            element = replace(element, async_before=before, async_after=after)
        self.elements[element.id] = element
        for problem in problems:
            self.report(element, ELEMENT, f"is invalid: {problem}")
        for child in node:
            tag = bpmn_tag(child)
            if tag == "incoming":
                self.declared_targets.setdefault(text_of(child), []).append(element.id)
            elif tag == "outgoing":
                self.declared_sources.setdefault(text_of(child), []).append(element.id)

    def report(self, element: Element, cause_type: str, clause: str, value: str | None = None) -> None:
        """Report a problem of an element: ``element X of type T <clause> (line n)``."""
        self.causes.append(
            ErrorCause(
                pointer=element_pointer(self.process_id, element.id),
                type=cause_type,
                detail=f"{describe(element, self.elements)} {clause}{at_line(element.line)}",
                value=value,
            )
        )

    def report_flow(self, flow: SequenceFlow, cause_type: str, clause: str) -> None:
        """Report a problem of a sequence flow: ``sequence flow F <clause> (line n)``."""
        self.causes.append(
            ErrorCause(
                pointer=element_pointer(self.process_id, flow.id),
                type=cause_type,
                detail=f"sequence flow {flow.id} {clause}{at_line(flow.line)}",
            )
        )

    def warn(self, pointer_id: str, detail: str, line: int | None = None) -> None:
        """Note something read leniently: ``<detail> (line n)``, pointing at an element or flow."""
        self.warnings.append(
            ErrorCause(
                pointer=process_pointer(pointer_id)
                if pointer_id == self.process_id
                else element_pointer(self.process_id, pointer_id),
                type=LENIENCY,
                detail=f"{detail}{at_line(line)}",
            )
        )

    def report_node(self, node: Node, element_id: str, cause_type: str, detail: str, value: str | None = None) -> None:
        """Report a problem of an XML element that has no model element: ``<detail> (line n)``."""
        self.causes.append(
            ErrorCause(
                pointer=element_pointer(self.process_id, element_id),
                type=cause_type,
                detail=f"{detail}{at_line(node.sourceline)}",
                value=value,
            )
        )

    def refuse(self, node: Node, element_id: str | None, tag: str, reason: str | None = None) -> None:
        """Refuse an element the model cannot represent: an unknown tag, or a wrong combination."""
        if element_id:
            self.refused.add(element_id)
        because = f": {reason}" if reason else ""
        detail = f"element {element_id} of type {tag} is not supported{because}"
        self.report_node(node, element_id or "", NOT_SUPPORTED, detail, value=tag)

    def not_yet(
        self, node: Node, element_id: str, construct: str, words: str, *, refuse: bool = False, value: str | None = None
    ) -> None:
        """Report valid BPMN that Baton does not run yet, naming the construct as BPMN spells it.

        ``construct`` is e.g. ``receiveTask "r"`` or ``multiInstanceLoopCharacteristics on
        serviceTask "pay"``; ``words`` says what it is in plain words. ``refuse`` leaves the
        element out of the model (flows touching it are then not reported again).
        """
        if refuse:
            self.refused.add(element_id)
        detail = f"{construct} is not supported yet: {words}"
        self.report_node(node, element_id, NOT_SUPPORTED, detail, value=value or bpmn_tag(node))

    def finish(
        self,
        *,
        name: str | None,
        collaboration_id: str | None = None,
        participant_id: str | None = None,
        participant_name: str | None = None,
    ) -> ProcessModel:
        """Link flows and elements and return the immutable process model.

        ``sourceRef``/``targetRef`` are authoritative. Only when one names no element at all does
        the element that lists the flow in its ``<outgoing>``/``<incoming>`` child stand in, if
        exactly one does (go-bpmn reads only those children, and its
        ``gateway/event-based-definition.bpmn`` relies on that).
        """
        flows: dict[str, SequenceFlow] = {}
        for flow in self.flows.values():
            source = self._resolve(flow.source_id, self.declared_sources.get(flow.id, ()))
            target = self._resolve(flow.target_id, self.declared_targets.get(flow.id, ()))
            if (source, target) != (flow.source_id, flow.target_id):
                flow = replace(flow, source_id=source, target_id=target)
            flows[flow.id] = flow
        for element in self.elements.values():
            default = flows.get(element.default_flow) if element.default_flow else None
            if default is not None and default.condition is not None:
                # Camunda 7 ignores it too: a default flow is taken exactly when no other is.
                flows[default.id] = replace(default, condition=None)
                self.warn(
                    default.id,
                    f"sequence flow {default.id} is the default flow of {element.id} and has a condition; "
                    f"the condition is ignored, the flow is taken when no other flow is",
                    default.line,
                )
        incoming: dict[str, list[str]] = {}
        outgoing: dict[str, list[str]] = {}
        for flow in flows.values():
            outgoing.setdefault(flow.source_id, []).append(flow.id)
            incoming.setdefault(flow.target_id, []).append(flow.id)
        elements = {
            element_id: replace(
                element,
                incoming=tuple(incoming.get(element_id, ())),
                outgoing=tuple(outgoing.get(element_id, ())),
            )
            for element_id, element in self.elements.items()
        }
        return ProcessModel(
            id=self.process_id,
            elements=elements,
            flows=flows,
            name=name,
            collaboration_id=collaboration_id,
            participant_id=participant_id,
            participant_name=participant_name,
            problems=tuple(self.causes),
            refused_ids=frozenset(self.refused),
            warnings=tuple(self.warnings),
            expression_language=self.expression_language,
        )

    def _resolve(self, reference: str, declared: Iterable[str]) -> str:
        if not reference or reference in self.elements or reference in self.refused:
            return reference
        candidates = {element_id for element_id in declared if element_id in self.elements}
        return candidates.pop() if len(candidates) == 1 else reference
