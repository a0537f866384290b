"""The walk: enter elements from the agenda until every token waits or has ended.

Each element type has one handler (``HANDLERS``). A step drains its agenda, then *settles*:
fires inclusive joins that can no longer receive tokens and completes scopes that have no token
left, which may put more work on the agenda. A model element without a handler is refused at
deployment with a clear "not supported yet" problem (see ``unsupported_elements``).

This is the one module that knows every element module: besides entering, it routes a catch
event that was armed or triggered to whoever waits for it (``armed``, ``trigger``). The element
modules never import it, so the runtime's imports form no cycle.
"""

from __future__ import annotations

from collections.abc import Callable

from engine.errors import EngineError, ErrorKind
from engine.model import BOUNDARY_EVENTS, SCOPES, ElementType, ProcessModel
from engine.runtime import activities, boundary, continuations, events, gateways, gateways_event, tokens
from engine.runtime.instances import ElementInstance
from engine.runtime.step import Step
from engine.states import InstanceState

Handler = Callable[[Step, ElementInstance], None]

T = ElementType
HANDLERS: dict[ElementType, Handler] = {
    # activities: boundary events first, then their own work
    **dict.fromkeys(
        (
            T.TASK,
            T.MANUAL_TASK,
            T.SERVICE_TASK,
            T.SEND_TASK,
            T.SCRIPT_TASK,
            T.BUSINESS_RULE_TASK,
            T.USER_TASK,
            T.SUB_PROCESS,
            T.CALL_ACTIVITY,
        ),
        activities.enter,
    ),
    # gateways
    T.EXCLUSIVE_GATEWAY: gateways.enter_exclusive,
    T.INCLUSIVE_GATEWAY: gateways.enter_inclusive,
    T.PARALLEL_GATEWAY: gateways.enter_parallel,
    T.EVENT_BASED_GATEWAY: gateways_event.enter,
    # events
    T.NONE_START_EVENT: events.enter_pass,
    T.MESSAGE_START_EVENT: events.enter_pass,
    T.SIGNAL_START_EVENT: events.enter_pass,
    T.TIMER_START_EVENT: events.enter_pass,
    T.NONE_THROW_EVENT: events.enter_pass,
    T.LINK_CATCH_EVENT: events.enter_pass,
    T.LINK_THROW_EVENT: events.enter_link_throw,
    T.NONE_END_EVENT: events.enter_end,
    T.TERMINATE_END_EVENT: events.enter_terminate_end,
    T.MESSAGE_CATCH_EVENT: events.enter_catch,
    T.SIGNAL_CATCH_EVENT: events.enter_catch,
    T.TIMER_CATCH_EVENT: events.enter_catch,
    T.MESSAGE_THROW_EVENT: events.enter_message_throw,
    T.MESSAGE_END_EVENT: events.enter_message_throw,
    T.SIGNAL_THROW_EVENT: events.enter_throw,
    T.SIGNAL_END_EVENT: events.enter_throw,
    T.ERROR_END_EVENT: events.enter_throw,
    T.ESCALATION_THROW_EVENT: events.enter_throw,
    T.ESCALATION_END_EVENT: events.enter_throw,
}

# Element types that are part of a process but never entered through a sequence flow: boundary
# events are attached to their activity, the process is the root scope.
_NOT_ENTERED = frozenset({ElementType.PROCESS, *BOUNDARY_EVENTS})


def unsupported_elements(model: ProcessModel) -> list[tuple[str, ElementType]]:
    """(element id, type) of every element this version of Baton cannot execute yet."""
    return [
        (element.id, element.type)
        for element in model.elements.values()
        if element.type not in HANDLERS and element.type not in _NOT_ENTERED
    ]


def run(step: Step) -> None:
    """Move tokens until every one waits or has ended."""
    while True:
        while step.agenda:
            _, ei = step.agenda.popleft()
            if ei.is_ended:
                continue  # cut off (terminated) before it was entered
            if continuations.defers(ei):
                continuations.defer(step, ei)  # asyncBefore/asyncAfter: a worker's task enters it
                continue
            handler = HANDLERS.get(ei.element.type)
            if handler is None:
                raise EngineError(
                    ErrorKind.NOT_IMPLEMENTED,
                    "element not supported",
                    f"element {ei.element.id} of type {ei.element.type} is not supported yet",
                )
            handler(step, ei)
        if not settle(step):
            return


def settle(step: Step) -> bool:
    """Fire ready inclusive joins and complete empty scopes, innermost first.

    Returns True when it put new work on the agenda (the caller runs it and settles again).
    """
    scopes = [ei for ei in step.active() if ei.element.type in SCOPES and ei.state is InstanceState.STARTED]
    scopes.sort(key=tokens.depth, reverse=True)
    for scope in scopes:
        if gateways.settle_inclusive_joins(step, scope):
            return True
        if not step.children(scope):
            complete_scope(step, scope)
            return True
    return False


def complete_scope(step: Step, scope: ElementInstance) -> None:
    """A scope without tokens completes: the process ends, a sub-process moves on."""
    if scope.parent is None:
        step.set_state(scope, InstanceState.COMPLETED)
        tokens.end_instance(step, InstanceState.COMPLETED)
    else:
        tokens.take_all(step, scope)


def start_instance(step: Step, start_event: str | None = None) -> None:
    """Start a created instance: open the process scope and put a token on its none start event
    (or on the given message, signal or timer start event)."""
    model = step.process.model
    start = model.elements[start_event] if start_event else model.none_start_event(model.id)
    if start is None:
        raise EngineError(
            ErrorKind.VALIDATION,
            "failed to start process instance",
            f"process {model.id} has no none start event",
        )
    scope = step.create(model.process, None)
    step.set_state(scope, InstanceState.STARTED)
    instance = step.instance
    instance.state = InstanceState.STARTED
    instance.started_at = step.now
    instance.just_started = True
    instance.dirty = True
    tokens.arrive(step, scope, None, start.id)
    run(step)


def cancel_instance(step: Step, reason: str | None) -> None:
    """End the instance as CANCELED: every active element instance is canceled with its work."""
    scope = step.process_scope()
    if scope is not None:
        tokens.terminate(step, scope, InstanceState.CANCELED)
    tokens.end_instance(step, InstanceState.CANCELED, reason)


def reenter(step: Step, ei: ElementInstance) -> None:
    """Enter a waiting element again (after its incident was resolved) and move on.

    An activity whose incident came from its outgoing conditional flows leaves again instead.
    """
    if ei.context and ei.context.get("leaving"):
        tokens.take_all(step, ei)
    else:
        step.agenda.append(("enter", ei))
    run(step)


def continue_async(step: Step, ei: ElementInstance) -> None:
    """The engine task of an asynchronous continuation: enter the element that waited for it."""
    continuations.passed(step, ei)
    step.agenda.append(("enter", ei))
    run(step)


def _behind_event_gateway(ei: ElementInstance) -> bool:
    return ei.prev is not None and ei.prev.element.type is ElementType.EVENT_BASED_GATEWAY


def armed(step: Step, ei: ElementInstance) -> None:
    """A job supplied what a catch event needed: tell whoever waited for it."""
    if ei.element.type in BOUNDARY_EVENTS:
        activity = boundary.armed(step, ei)
        if activity is not None:
            activities.begin(step, activity)
    elif _behind_event_gateway(ei):
        gateways_event.armed(step, ei)
    else:
        tokens.wait(step, ei)  # an intermediate catch event now waits STARTED


def trigger(step: Step, ei: ElementInstance) -> None:
    """The event an element instance waited for has happened: move the token on."""
    if ei.element.type in BOUNDARY_EVENTS:
        boundary.fire(step, ei)
        return
    if _behind_event_gateway(ei):
        gateways_event.decide(step, ei)
    step.set_state(ei, InstanceState.STARTED)
    tokens.take_all(step, ei)
