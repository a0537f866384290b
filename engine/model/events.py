"""Reading BPMN events: which element type an event is, and what its event definition says.

An event's type follows from its tag and its one event definition (go-bpmn's names):

====================== ===========================================================
tag                    event definitions → element type
====================== ===========================================================
startEvent             none, message, signal, timer
endEvent               none, error, escalation, message, signal, terminate
intermediateCatchEvent message, signal, timer, link (one is required)
intermediateThrowEvent none, escalation, message, signal, link
boundaryEvent          error, escalation, message, signal, timer (one is required)
====================== ===========================================================

Anything else (compensation, conditional and cancel definitions, ``eventDefinitionRef``, more
than one definition on one event, a definition an event of that tag cannot have) is refused.

References resolve to root elements: ``messageRef`` → ``<message name>`` (and its
``zeebe:subscription correlationKey``), ``signalRef`` → ``<signal name>``, ``errorRef`` →
``<error errorCode>``, ``escalationRef`` → ``<escalation escalationCode>``. A definition without
a reference, or a referenced element without a name or code, leaves the value unset: a definition
at process creation or a job supplies it. A reference naming nothing suitable is a cause, except
an ``errorRef``/``escalationRef`` that names no root element at all: that is the code itself, as
Flowable reads it (with a warning).
An event without a definition has ``event = None``.
"""

from __future__ import annotations

from dataclasses import replace

from engine.model.builder import ProcessBuilder
from engine.model.causes import ELEMENT, REFERENCE, describe
from engine.model.elements import Element, ElementType, EventDefinition, EventKind, Timer
from engine.model.extensions import read_correlation_key, read_mappings
from engine.model.nodes import Node, attribute, boolean, bpmn_tag, reference, text_of

EVENT_TYPES: dict[str, dict[EventKind, ElementType]] = {
    "startEvent": {
        EventKind.NONE: ElementType.NONE_START_EVENT,
        EventKind.MESSAGE: ElementType.MESSAGE_START_EVENT,
        EventKind.SIGNAL: ElementType.SIGNAL_START_EVENT,
        EventKind.TIMER: ElementType.TIMER_START_EVENT,
    },
    "endEvent": {
        EventKind.NONE: ElementType.NONE_END_EVENT,
        EventKind.ERROR: ElementType.ERROR_END_EVENT,
        EventKind.ESCALATION: ElementType.ESCALATION_END_EVENT,
        EventKind.MESSAGE: ElementType.MESSAGE_END_EVENT,
        EventKind.SIGNAL: ElementType.SIGNAL_END_EVENT,
        EventKind.TERMINATE: ElementType.TERMINATE_END_EVENT,
    },
    "intermediateCatchEvent": {
        EventKind.MESSAGE: ElementType.MESSAGE_CATCH_EVENT,
        EventKind.SIGNAL: ElementType.SIGNAL_CATCH_EVENT,
        EventKind.TIMER: ElementType.TIMER_CATCH_EVENT,
        EventKind.LINK: ElementType.LINK_CATCH_EVENT,
    },
    "intermediateThrowEvent": {
        EventKind.NONE: ElementType.NONE_THROW_EVENT,
        EventKind.ESCALATION: ElementType.ESCALATION_THROW_EVENT,
        EventKind.MESSAGE: ElementType.MESSAGE_THROW_EVENT,
        EventKind.SIGNAL: ElementType.SIGNAL_THROW_EVENT,
        EventKind.LINK: ElementType.LINK_THROW_EVENT,
    },
    "boundaryEvent": {
        EventKind.ERROR: ElementType.ERROR_BOUNDARY_EVENT,
        EventKind.ESCALATION: ElementType.ESCALATION_BOUNDARY_EVENT,
        EventKind.MESSAGE: ElementType.MESSAGE_BOUNDARY_EVENT,
        EventKind.SIGNAL: ElementType.SIGNAL_BOUNDARY_EVENT,
        EventKind.TIMER: ElementType.TIMER_BOUNDARY_EVENT,
    },
}

DEFINITION_KINDS: dict[str, EventKind] = {
    "errorEventDefinition": EventKind.ERROR,
    "escalationEventDefinition": EventKind.ESCALATION,
    "linkEventDefinition": EventKind.LINK,
    "messageEventDefinition": EventKind.MESSAGE,
    "signalEventDefinition": EventKind.SIGNAL,
    "terminateEventDefinition": EventKind.TERMINATE,
    "timerEventDefinition": EventKind.TIMER,
}
UNSUPPORTED_DEFINITIONS: dict[str, str] = {
    "cancelEventDefinition": "cancel events",
    "compensateEventDefinition": "compensation events",
    "conditionalEventDefinition": "conditional events",
    "eventDefinitionRef": "events referring to a root event definition (eventDefinitionRef)",
}
TIMER_VALUES = ("timeDate", "timeDuration", "timeCycle")


def read_event(builder: ProcessBuilder, node: Node, parent_id: str) -> None:
    """Read a start, end, intermediate or boundary event into the builder."""
    tag = bpmn_tag(node) or "?"
    element_id = builder.new_id(node)
    if element_id is None:
        return
    definitions = [
        child for child in node if bpmn_tag(child) in DEFINITION_KINDS or bpmn_tag(child) in UNSUPPORTED_DEFINITIONS
    ]
    definition_tags = [bpmn_tag(child) or "" for child in definitions]
    if len(definitions) > 1:
        construct = f'{len(definitions)} event definitions ({", ".join(definition_tags)}) on {tag} "{element_id}"'
        builder.not_yet(
            node, element_id, construct, "multiple events (an event with more than one event definition)", refuse=True
        )
        return
    if definition_tags and definition_tags[0] in UNSUPPORTED_DEFINITIONS:
        construct = f'{definition_tags[0]} on {tag} "{element_id}"'
        builder.not_yet(node, element_id, construct, UNSUPPORTED_DEFINITIONS[definition_tags[0]], refuse=True)
        return
    kind = DEFINITION_KINDS[definition_tags[0]] if definition_tags else EventKind.NONE
    element_type = EVENT_TYPES[tag].get(kind)
    if element_type is None:
        _refuse_kind(builder, node, element_id, tag, kind)
        return

    problems: list[str] = []
    inputs, outputs = read_mappings(node, problems)
    cancel_activity = True
    if tag == "boundaryEvent":
        flag = boolean(node.get("cancelActivity"), default=True)
        if flag is None:
            problems.append(f'cancelActivity "{node.get("cancelActivity")}" is not true or false')
        cancel_activity = flag is not False
    element = Element(
        id=element_id,
        type=element_type,
        name=node.get("name") or None,
        parent_id=parent_id,
        attached_to=reference(node, "attachedToRef") if tag == "boundaryEvent" else None,
        cancel_activity=cancel_activity,
        inputs=inputs,
        outputs=outputs,
        line=node.sourceline,
    )
    builder.add(element, node)
    if definitions:
        event = _event_definition(builder, element, kind, definitions[0])
        builder.elements[element_id] = replace(element, event=event)
    for problem in problems:
        builder.report(element, ELEMENT, f"is invalid: {problem}")


def _refuse_kind(builder: ProcessBuilder, node: Node, element_id: str, tag: str, kind: EventKind) -> None:
    allowed = ", ".join(allowed.lower() for allowed in EVENT_TYPES[tag])
    if kind is EventKind.NONE:
        builder.refused.add(element_id)
        detail = f"element {element_id} of type {tag} has no event definition; it needs one of: {allowed}"
        builder.report_node(node, element_id, ELEMENT, detail)
        return
    builder.refuse(node, element_id, tag, f"{kind.lower()} event definitions on a {tag} (allowed: {allowed})")


def _event_definition(builder: ProcessBuilder, element: Element, kind: EventKind, node: Node) -> EventDefinition:
    definition_id = attribute(node, "id")
    if kind is EventKind.MESSAGE:
        message = _root(builder, element, node, "messageRef", "message")
        return EventDefinition(
            kind=kind,
            id=definition_id,
            message_name=attribute(message, "name") if message is not None else None,
            correlation_key=read_correlation_key(message) if message is not None else None,
        )
    if kind is EventKind.SIGNAL:
        signal = _root(builder, element, node, "signalRef", "signal")
        name = attribute(signal, "name") if signal is not None else None
        return EventDefinition(kind=kind, id=definition_id, signal_name=name)
    if kind is EventKind.ERROR:
        code = _code(builder, element, node, "errorRef", "error", "errorCode")
        return EventDefinition(kind=kind, id=definition_id, error_code=code)
    if kind is EventKind.ESCALATION:
        code = _code(builder, element, node, "escalationRef", "escalation", "escalationCode")
        return EventDefinition(kind=kind, id=definition_id, escalation_code=code)
    if kind is EventKind.LINK:
        return EventDefinition(kind=kind, id=definition_id, link_name=node.get("name"))
    if kind is EventKind.TIMER:
        return EventDefinition(kind=kind, id=definition_id, timer=_timer(builder, element, node))
    return EventDefinition(kind=kind, id=definition_id)


def _code(
    builder: ProcessBuilder, element: Element, node: Node, attribute_name: str, tag: str, code: str
) -> str | None:
    """The code of the ``<error>``/``<escalation>`` a reference names.

    A reference that names no such root element is the code itself, as Flowable reads it.
    """
    ref = reference(node, attribute_name)
    if ref is None:
        return None
    root = builder.roots.get(ref)
    if root is not None and bpmn_tag(root) == tag:
        return attribute(root, code)
    if root is not None:  # names another kind of root element: a mistake, not a code
        _root(builder, element, node, attribute_name, tag)  # reports it
        return None
    builder.warn(
        element.id,
        f"{describe(element, builder.elements)} has {attribute_name} {ref}, but the document has no <{tag}> with "
        f"that id; Baton uses {ref} as the {code}, as Flowable does",
        element.line,
    )
    return ref


def _root(builder: ProcessBuilder, element: Element, node: Node, attribute_name: str, tag: str) -> Node | None:
    """The root element a reference attribute names; None (with a cause if it names nothing)."""
    ref = reference(node, attribute_name)
    if ref is None:
        return None
    root = builder.roots.get(ref)
    if root is None or bpmn_tag(root) != tag:
        builder.report(
            element,
            REFERENCE,
            f"has {attribute_name} {ref}, but the document has no <{tag}> with id {ref}",
            value=ref,
        )
        return None
    return root


def _timer(builder: ProcessBuilder, element: Element, node: Node) -> Timer | None:
    values = {tag: text for child in node if (tag := bpmn_tag(child)) in TIMER_VALUES and (text := text_of(child))}
    if len(values) > 1:
        builder.report(
            element,
            ELEMENT,
            f"has a timer with {' and '.join(values)}; a timer needs exactly one of timeDate, "
            f"timeDuration and timeCycle",
        )
        return None
    if not values:
        return None  # given at process creation, or by a job
    values = {tag: _unquoted(text) for tag, text in values.items()}
    return Timer(
        time_date=values.get("timeDate"),
        time_duration=values.get("timeDuration"),
        time_cycle=values.get("timeCycle"),
    )


def _unquoted(text: str) -> str:
    """A timer value SpiffWorkflow writes as a Python string literal (``"PT1S"``, ``'P14D'``) is
    that literal's text; anything else is kept as written."""
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"" and text[0] not in text[1:-1] and "\\" not in text:
        return text[1:-1].strip()
    return text
