"""Asynchronous continuations (``camunda:asyncBefore``/``asyncAfter``, ``flowable:async``).

A token that reaches an element marked ``asyncBefore``, or leaves one marked ``asyncAfter``,
stops there: its element instance stays CREATED and a ``CONTINUE_EXECUTION`` engine task (action
``async_continue``) enters it later, in a transaction of its own run by a worker. So the command
that moved the token (a job completion, a message, the instance's start) commits and answers
without running what follows, and what follows fails or retries on its own. For ``asyncAfter``
the element completes and its outgoing flows are chosen in the first transaction; each element
they reach waits for its own task (Camunda 7 chooses the flows in the second one).

Not deferred: boundary events and the catch events behind an event-based gateway (never entered
through a sequence flow), and start events of a process (an instance already starts in an engine
task of its own).
"""

from __future__ import annotations

from engine.model import START_EVENTS
from engine.runtime.instances import ElementInstance
from engine.runtime.step import Step
from engine.states import TaskKind

ACTION = "async_continue"


def defers(ei: ElementInstance) -> bool:
    """Whether entering ``ei`` waits for an engine task (and has not waited yet)."""
    context = ei.context or {}
    if context.get("asyncPassed"):
        return False
    if ei.element.type in START_EVENTS and ei.parent is not None and ei.parent.parent is None:
        return False
    return ei.element.async_before or bool(context.get("asyncAfter"))


def defer(step: Step, ei: ElementInstance) -> None:
    """Leave ``ei`` CREATED and schedule the engine task that enters it."""
    step.add_task(TaskKind.CONTINUE_EXECUTION, ei=ei, payload={"action": ACTION})


def passed(step: Step, ei: ElementInstance) -> None:
    """The engine task runs: ``ei`` is entered now, without waiting again."""
    step.set_context(ei, asyncPassed=True)
