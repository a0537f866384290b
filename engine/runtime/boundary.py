"""Boundary events: attached when an activity is entered, fired interrupting or not.

Each boundary event of an activity gets an element instance (CREATED, in the activity's scope,
``prev`` = the activity) when the activity is entered. The activity begins its own work only
when every boundary event is armed (go-bpmn). An interrupting boundary event that fires
terminates the activity, everything inside it and its other boundary events; a non-interrupting
one leaves the activity running and is armed again by a new element instance.
"""

from __future__ import annotations

from engine.model import ElementType, EventKind
from engine.runtime import catching, timers, tokens
from engine.runtime.instances import ElementInstance
from engine.runtime.step import Step
from engine.states import InstanceState


def attach(step: Step, activity: ElementInstance) -> bool:
    """Create and arm the boundary events of an activity; True when all are armed."""
    elements = step.process.model.boundary_events(activity.element.id)
    if not elements:
        return True
    pending = 0
    for element in elements:
        boundary = step.create(element, activity.parent, prev=activity)
        if not catching.arm(step, boundary):
            pending += 1
    if pending:
        step.set_context(activity, pending=pending)
        return False
    return True


def armed(step: Step, boundary: ElementInstance) -> ElementInstance | None:
    """A boundary event was armed by its job. Returns its activity when none is pending any more
    and the activity may begin its own work (the caller begins it)."""
    activity = boundary.prev
    if activity is None or activity.is_ended:
        return None
    pending = int((activity.context or {}).get("pending", 0)) - 1
    step.set_context(activity, pending=max(pending, 0))
    if pending <= 0 and activity.state is InstanceState.CREATED:
        return activity
    return None


def is_interrupting(boundary: ElementInstance) -> bool:
    """Error boundary events always interrupt; others unless ``cancelActivity="false"``."""
    return boundary.element.type is ElementType.ERROR_BOUNDARY_EVENT or boundary.element.cancel_activity


def fire(step: Step, boundary: ElementInstance) -> None:
    """A boundary event's event happened."""
    activity = boundary.prev
    step.set_state(boundary, InstanceState.STARTED)
    if is_interrupting(boundary):
        tokens.take_all(step, boundary)
        if activity is not None and not activity.is_ended:
            tokens.terminate(step, activity)
        return
    if activity is not None and not activity.is_ended:
        _rearm(step, boundary, activity)
    tokens.take_all(step, boundary)


def _rearm(step: Step, fired: ElementInstance, activity: ElementInstance) -> None:
    """A non-interrupting boundary event waits again, as a new element instance (go-bpmn).

    A timer waits again only for a cycle, or for a duration that a worker or the deployment
    gave (go-bpmn fires those each period); a duration written in the model fires once.
    """
    context = dict(fired.context or {})
    kind = catching.kind_of(fired)
    if kind is EventKind.TIMER:
        timer = timers.from_dict(context.get("timer"))
        if timer is None or timer.time_date:
            return  # a point in time does not come again
        if timer.time_duration and _written_in_model(fired):
            return  # a duration in the XML fires once (BPMN, Camunda 7 and 8, SpiffWorkflow)
        remaining = context.get("remaining")
        if timer.time_cycle and remaining == 0:
            return  # the cycle is used up
    again = step.create(fired.element, fired.parent, prev=activity)
    if kind is EventKind.MESSAGE:
        catching.subscribe_message(step, again, context["messageName"], context["correlationKey"])
    elif kind is EventKind.SIGNAL:
        catching.subscribe_signal(step, again, context["signalName"])
    elif kind is EventKind.TIMER:
        timer = timers.from_dict(context["timer"])
        assert timer is not None
        catching.schedule(step, again, timer, remaining=context.get("remaining") if timer.time_cycle else None)
    else:
        step.set_context(again, code=context.get("code"))


def _written_in_model(fired: ElementInstance) -> bool:
    event = fired.element.event
    return event is not None and event.timer is not None and event.timer.time_duration is not None
