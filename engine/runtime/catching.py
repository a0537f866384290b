"""Catching events: arming message, signal, timer, error and escalation catchers, and triggering them.

An element instance that waits for an event — an intermediate catch event, a boundary event, or
a catch event behind an event-based gateway — is *armed* when its subscription, timer or code is
known. The name, code or timer comes from the model or the creation-time definitions; when they
leave it open a job asks a worker (``SUBSCRIBE_MESSAGE``, ``SET_MESSAGE_CORRELATION_KEY``,
``SUBSCRIBE_SIGNAL``, ``SET_TIMER``, ``SET_ERROR_CODE``, ``SET_ESCALATION_CODE``), as in go-bpmn.
What happens once it is armed by a job or its event happens depends on who waits for it (an
activity, an event-based gateway, the token itself); ``execution.armed`` and ``execution.trigger``
route it.
"""

from __future__ import annotations

from typing import Any

from engine.model import EventKind, Timer
from engine.runtime import timers
from engine.runtime.conditions import EvaluationError, evaluate_expression, value_or_expression
from engine.runtime.instances import ElementInstance, NewSubscription
from engine.runtime.step import Step
from engine.states import JobKind, TaskKind

_JOB_FOR: dict[EventKind, JobKind] = {
    EventKind.SIGNAL: JobKind.SUBSCRIBE_SIGNAL,
    EventKind.TIMER: JobKind.SET_TIMER,
    EventKind.ERROR: JobKind.SET_ERROR_CODE,
    EventKind.ESCALATION: JobKind.SET_ESCALATION_CODE,
}


def kind_of(ei: ElementInstance) -> EventKind:
    """The event kind an element instance catches."""
    event = ei.element.event
    assert event is not None, f"{ei.element.id} has no event definition"
    return event.kind


def arm(step: Step, ei: ElementInstance) -> bool:
    """Open what an event waits for. True when armed now; False when a job must supply it first."""
    kind = kind_of(ei)
    values = step.process.event_values(ei.element.id)
    try:
        if kind is EventKind.MESSAGE:
            name = values.message_name if values else None
            if name is None:
                step.add_job(ei, JobKind.SUBSCRIBE_MESSAGE)
                return False
            expression = values.correlation_key if values else None
            if expression is None:
                step.add_job(ei, JobKind.SET_MESSAGE_CORRELATION_KEY)
                return False
            key = value_or_expression(step, ei, expression)
            if key is None or key == "":
                raise EvaluationError(expression, ei.element.id, "the message correlation key is null or empty")
            subscribe_message(step, ei, name, str(key))
            return True
        if kind is EventKind.SIGNAL:
            if values is None or values.signal_name is None:
                step.add_job(ei, JobKind.SUBSCRIBE_SIGNAL)
                return False
            subscribe_signal(step, ei, values.signal_name)
            return True
        if kind is EventKind.TIMER:
            if values is None or values.timer is None:
                step.add_job(ei, JobKind.SET_TIMER)
                return False
            schedule(step, ei, values.timer)
            return True
        if kind in (EventKind.ERROR, EventKind.ESCALATION):
            code = (values.error_code if kind is EventKind.ERROR else values.escalation_code) if values else None
            if code is None:
                step.add_job(ei, _JOB_FOR[kind])
                return False
            step.set_context(ei, code=code)
            return True
    except (EvaluationError, timers.TimerError) as exc:
        step.add_incident(ei, str(exc))
        return False
    raise AssertionError(f"cannot arm {ei.element.type}")


def subscribe_message(step: Step, ei: ElementInstance, name: str, key: str) -> None:
    """Wait for a message (a buffered one is correlated when the step is written)."""
    step.set_context(ei, messageName=name, correlationKey=key)
    step.output.subscriptions.append(NewSubscription(ei, "message", name, key))


def subscribe_signal(step: Step, ei: ElementInstance, name: str) -> None:
    """Wait for a signal."""
    step.set_context(ei, signalName=name)
    step.output.subscriptions.append(NewSubscription(ei, "signal", name))


def schedule(step: Step, ei: ElementInstance, timer: Timer, remaining: int | None = None) -> None:
    """Schedule the TRIGGER_EVENT task of a timer (its value may be an expression)."""
    resolved = resolve_timer(step, ei, timer)
    if remaining is None:
        cycle = timers.first_due(resolved, step.now)
    else:
        cycle = timers.next_due(resolved, step.now, remaining) or timers.Cycle(step.now, 0)
    step.set_context(ei, timer=timers.as_dict(resolved), dueAt=cycle.due_at.isoformat(), remaining=cycle.remaining)
    step.add_task(
        TaskKind.TRIGGER_EVENT,
        ei=ei,
        due_at=cycle.due_at,
        payload={"timer": timers.as_dict(resolved), "remaining": cycle.remaining},
    )


def resolve_timer(step: Step, ei: ElementInstance, timer: Timer) -> Timer:
    """A timer with its expression (if any) evaluated to a plain value."""

    dialect = step.process.model.expression_language

    def text(value: str | None) -> str | None:
        if value is None:
            return None
        result: Any = value
        if timers.is_expression_value(timer, value, dialect):
            result = evaluate_expression(step, ei, value)
        return None if result is None else str(result)

    resolved = Timer(
        time_date=text(timer.time_date), time_duration=text(timer.time_duration), time_cycle=text(timer.time_cycle)
    )
    problem = timers.validate(resolved)
    if problem:
        raise timers.TimerError(f"timer of element {ei.element.id}: {problem}")
    return resolved
