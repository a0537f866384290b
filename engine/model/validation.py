"""Structural rules a process model must satisfy before the engine runs it.

:func:`validate_process` applies every rule and returns every cause; it never stops at the first.
The rules:

- the process is executable (``isExecutable="true"``);
- a process has at most one none start event;
- a sub-process has exactly one none start event and no other start event, or no start event
  at all: then it starts at its elements without incoming flows (BPMN 2.0 §10.5.2); event
  sub-processes are not supported;
- a sequence flow has a ``sourceRef`` and a ``targetRef`` naming elements of the process, both
  in the same scope, neither the process itself;
- start events and boundary events have no incoming flows; end events have no outgoing flows;
  link catch events have no incoming and link throw events no outgoing flows;
- a boundary event is attached (``attachedToRef``) to an activity of its own scope, and an error
  boundary event interrupts (``cancelActivity`` is true);
- an event-based gateway has at least two outgoing flows, each leading to a message, signal or
  timer intermediate catch event;
- the ``default`` flow of a gateway or activity is one of its outgoing flows (a condition it has
  is dropped by the parser, with a warning); conditions appear only on flows leaving exclusive
  and inclusive gateways and activities (BPMN conditional flows);
- link names are non-empty, unique among the link catch events of a scope, and every link throw
  event has a link catch event of the same name in its scope.

Joining inclusive gateways (more than one incoming flow) are valid: the engine runs them.
Elements without incoming flows are allowed, as in go-bpmn.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from engine.errors import ErrorCause
from engine.model.causes import (
    ELEMENT,
    NOT_SUPPORTED,
    PROCESS,
    REFERENCE,
    SEQUENCE_FLOW,
    at_line,
    describe,
    element_pointer,
    process_pointer,
)
from engine.model.elements import (
    ACTIVITIES,
    BOUNDARY_EVENTS,
    CATCH_EVENTS,
    START_EVENTS,
    Element,
    ElementType,
    ProcessModel,
    SequenceFlow,
)

Rule = Callable[[ProcessModel, frozenset[str]], Iterable[ErrorCause]]

END_EVENTS = frozenset(
    {
        ElementType.ERROR_END_EVENT,
        ElementType.ESCALATION_END_EVENT,
        ElementType.MESSAGE_END_EVENT,
        ElementType.NONE_END_EVENT,
        ElementType.SIGNAL_END_EVENT,
        ElementType.TERMINATE_END_EVENT,
    }
)
CONDITIONAL_GATEWAYS = frozenset({ElementType.EXCLUSIVE_GATEWAY, ElementType.INCLUSIVE_GATEWAY})
# BPMN conditional flows: an activity evaluates the conditions of its flows when it completes.
CONDITIONAL_SOURCES = CONDITIONAL_GATEWAYS | ACTIVITIES


def validate_process(
    process: ProcessModel, *, refused_ids: frozenset[str] = frozenset(), problems: Iterable[ErrorCause] = ()
) -> list[ErrorCause]:
    """Every structural problem of a process, including "not executable"; empty when it can run.

    ``refused_ids`` are elements the parser already refused (unknown or unsupported tags): flows
    touching them are not reported a second time. ``problems`` (what the parser found) come
    right after "not executable", before the structural rules' causes.
    """
    causes = list(process_is_executable(process, refused_ids))
    causes.extend(problems)
    causes.extend(cause for rule in RULES for cause in rule(process, refused_ids))
    return causes


def _element_cause(process: ProcessModel, element: Element, cause_type: str, clause: str) -> ErrorCause:
    return ErrorCause(
        pointer=element_pointer(process.id, element.id),
        type=cause_type,
        detail=f"{describe(element, process.elements)} {clause}{at_line(element.line)}",
    )


def _flow_cause(process: ProcessModel, flow: SequenceFlow, clause: str, cause_type: str = SEQUENCE_FLOW) -> ErrorCause:
    return ErrorCause(
        pointer=element_pointer(process.id, flow.id),
        type=cause_type,
        detail=f"sequence flow {flow.id} {clause}{at_line(flow.line)}",
    )


def _ids(elements: Iterable[Element]) -> str:
    return ", ".join(element.id for element in elements)


def process_is_executable(process: ProcessModel, refused: frozenset[str]) -> Iterator[ErrorCause]:
    """The process must be marked executable."""
    if not process.process.is_executable:
        yield ErrorCause(
            pointer=process_pointer(process.id),
            type=PROCESS,
            detail=f'process {process.id} is not executable; set isExecutable="true" on its '
            f"<process> element to deploy it{at_line(process.process.line)}",
        )


def start_events(process: ProcessModel, refused: frozenset[str]) -> Iterator[ErrorCause]:
    """At most one none start event per process; exactly one, and nothing else, per sub-process."""
    none_starts = [e for e in process.children(process.id) if e.type is ElementType.NONE_START_EVENT]
    if len(none_starts) > 1:
        yield ErrorCause(
            pointer=process_pointer(process.id),
            type=PROCESS,
            detail=f"process {process.id} has multiple none start events ({_ids(none_starts)}); "
            f"a process can have at most one{at_line(process.process.line)}",
        )
    for scope in process.elements.values():
        if scope.type is not ElementType.SUB_PROCESS:
            continue
        if scope.triggered_by_event:
            yield ErrorCause(
                pointer=element_pointer(process.id, scope.id),
                type=NOT_SUPPORTED,
                detail=f'subProcess "{scope.id}" with triggeredByEvent="true" is not supported yet: event '
                f"sub-processes{at_line(scope.line)}",
                value="triggeredByEvent",
            )
            continue
        starts = [e for e in process.children(scope.id) if e.type in START_EVENTS]
        none_starts = [e for e in starts if e.type is ElementType.NONE_START_EVENT]
        if not starts and not process.implicit_starts(scope.id):
            yield _element_cause(
                process,
                scope,
                ELEMENT,
                "has no start event and no element without incoming sequence flows to start at",
            )
        elif not none_starts and not starts:
            pass  # an implicit start (BPMN 2.0 §10.5.2): its elements without incoming flows
        elif not none_starts:
            yield _element_cause(process, scope, ELEMENT, "has no none start event; a sub-process needs exactly one")
        elif len(none_starts) > 1:
            yield _element_cause(
                process,
                scope,
                ELEMENT,
                f"has multiple none start events ({_ids(none_starts)}); a sub-process needs exactly one",
            )
        for start in starts:
            if start.type is not ElementType.NONE_START_EVENT:
                yield _element_cause(
                    process,
                    start,
                    ELEMENT,
                    f"cannot start sub-process {scope.id}: only a none start event can start a sub-process",
                )


def sequence_flow_ends(process: ProcessModel, refused: frozenset[str]) -> Iterator[ErrorCause]:
    """Both ends of a flow exist, lie in one scope, and are not the process itself."""
    for flow in process.flows.values():
        ends = []
        for attribute_name, ref in (("sourceRef", flow.source_id), ("targetRef", flow.target_id)):
            if not ref:
                yield _flow_cause(process, flow, f"has no {attribute_name}")
            elif ref in refused:
                continue  # the refused element is reported already
            elif ref not in process.elements:
                yield _flow_cause(
                    process,
                    flow,
                    f"has {attribute_name} {ref}, which names no element of process {process.id}",
                    REFERENCE,
                )
            elif process.elements[ref].parent_id is None:
                yield _flow_cause(process, flow, f"has {attribute_name} {ref}, which is the process itself")
            else:
                ends.append(process.elements[ref])
        if len(ends) == 2 and ends[0].parent_id != ends[1].parent_id:
            source, target = ends
            yield _flow_cause(
                process,
                flow,
                f"connects {source.id} in {_scope_name(process, source)} with {target.id} in "
                f"{_scope_name(process, target)}; a sequence flow cannot cross a sub-process boundary",
            )


def _scope_name(process: ProcessModel, element: Element) -> str:
    return f"process {process.id}" if element.parent_id == process.id else f"sub-process {element.parent_id}"


def _no_incoming_reason(element_type: ElementType) -> str | None:
    if element_type in START_EVENTS:
        return "a start event cannot have incoming sequence flows"
    if element_type in BOUNDARY_EVENTS:
        return "a boundary event is triggered on its activity, not entered by a sequence flow"
    if element_type is ElementType.LINK_CATCH_EVENT:
        return "a link catch event is entered through its link, not by a sequence flow"
    return None


def _no_outgoing_reason(element_type: ElementType) -> str | None:
    if element_type in END_EVENTS:
        return "an end event cannot have outgoing sequence flows"
    if element_type is ElementType.LINK_THROW_EVENT:
        return "a link throw event continues at its link catch event, not by a sequence flow"
    return None


def flow_directions(process: ProcessModel, refused: frozenset[str]) -> Iterator[ErrorCause]:
    """Start, boundary and link catch events have no incoming flows; end and link throw events no outgoing."""
    for element in process.elements.values():
        reason = _no_incoming_reason(element.type)
        if element.incoming and reason:
            flows = ", ".join(element.incoming)
            yield _element_cause(process, element, ELEMENT, f"has incoming sequence flows ({flows}); {reason}")
        reason = _no_outgoing_reason(element.type)
        if element.outgoing and reason:
            flows = ", ".join(element.outgoing)
            yield _element_cause(process, element, ELEMENT, f"has outgoing sequence flows ({flows}); {reason}")


def boundary_events(process: ProcessModel, refused: frozenset[str]) -> Iterator[ErrorCause]:
    """A boundary event is attached to an activity of its scope; an error boundary event interrupts."""
    for event in process.elements.values():
        if event.type not in BOUNDARY_EVENTS:
            continue
        activity = process.elements.get(event.attached_to) if event.attached_to else None
        if not event.attached_to:
            yield _element_cause(
                process,
                event,
                ELEMENT,
                "has no attachedToRef; a boundary event must be attached to an activity",
            )
        elif event.attached_to in refused:
            pass
        elif activity is None:
            yield _element_cause(
                process,
                event,
                REFERENCE,
                f"has attachedToRef {event.attached_to}, which names no element of process {process.id}",
            )
        elif activity.type not in ACTIVITIES:
            yield _element_cause(
                process,
                event,
                ELEMENT,
                f"is attached to {activity.id} of type {activity.type}; boundary events can only be attached "
                f"to tasks, sub-processes and call activities",
            )
        elif activity.parent_id != event.parent_id:
            yield _element_cause(
                process,
                event,
                ELEMENT,
                f"is attached to {activity.id}, which is in {_scope_name(process, activity)}; a boundary "
                f"event must be defined in the scope of its activity",
            )
        if event.type is ElementType.ERROR_BOUNDARY_EVENT and not event.cancel_activity:
            yield _element_cause(
                process,
                event,
                ELEMENT,
                'has cancelActivity="false"; an error boundary event always interrupts its activity',
            )


def event_based_gateways(process: ProcessModel, refused: frozenset[str]) -> Iterator[ErrorCause]:
    """An event-based gateway leads to at least two message, signal or timer catch events."""
    for gateway in process.elements.values():
        if gateway.type is not ElementType.EVENT_BASED_GATEWAY:
            continue
        if len(gateway.outgoing) < 2:
            yield _element_cause(
                process,
                gateway,
                ELEMENT,
                f"must have at least 2 outgoing sequence flows, but has {len(gateway.outgoing)}",
            )
        for flow in process.outgoing(gateway.id):
            target = process.elements.get(flow.target_id)
            if target is not None and target.type not in CATCH_EVENTS:
                yield _element_cause(
                    process,
                    target,
                    ELEMENT,
                    f"cannot follow event-based gateway {gateway.id}: only message, signal and timer "
                    f"intermediate catch events can",
                )


def conditions_and_default_flows(process: ProcessModel, refused: frozenset[str]) -> Iterator[ErrorCause]:
    """Default flows belong to their gateway and carry no condition; conditions leave gateways only."""
    defaults: set[str] = set()
    for gateway in process.elements.values():
        if gateway.default_flow is None:
            continue
        defaults.add(gateway.default_flow)
        if gateway.default_flow not in gateway.outgoing:
            yield _element_cause(
                process,
                gateway,
                ELEMENT,
                f"has default flow {gateway.default_flow}, which is not one of its outgoing sequence flows",
            )
    for flow in process.flows.values():
        source = process.elements.get(flow.source_id)
        if flow.condition is None or source is None or source.type in CONDITIONAL_SOURCES:
            continue
        yield _flow_cause(
            process,
            flow,
            f"has a condition, but its source {source.id} is of type {source.type}; conditions are only "
            f"evaluated on flows leaving exclusive and inclusive gateways and activities",
        )


def link_events(process: ProcessModel, refused: frozenset[str]) -> Iterator[ErrorCause]:
    """Link names are set and unique per scope; each link throw has a catch in its scope."""
    catches: dict[tuple[str | None, str], Element] = {}
    throws: list[Element] = []
    for element in process.elements.values():
        if element.type not in (ElementType.LINK_CATCH_EVENT, ElementType.LINK_THROW_EVENT):
            continue
        name = (element.event.link_name or "").strip() if element.event else ""
        if not name:
            yield _element_cause(process, element, ELEMENT, "has no link name; set the name of its linkEventDefinition")
        elif element.type is ElementType.LINK_THROW_EVENT:
            throws.append(element)
        elif (element.parent_id, name) in catches:
            other = catches[(element.parent_id, name)]
            yield _element_cause(
                process,
                element,
                ELEMENT,
                f"has link name {name}, which link catch event {other.id} of the same scope already has; "
                f"link names must be unique in a scope",
            )
        else:
            catches[(element.parent_id, name)] = element
    for throw in throws:
        name = (throw.event.link_name or "").strip() if throw.event else ""
        if (throw.parent_id, name) not in catches:
            yield _element_cause(
                process,
                throw,
                ELEMENT,
                f"throws link {name}, but no link catch event in {_scope_name(process, throw)} has that name",
            )


RULES: tuple[Rule, ...] = (
    start_events,
    sequence_flow_ends,
    flow_directions,
    boundary_events,
    event_based_gateways,
    conditions_and_default_flows,
    link_events,
)
