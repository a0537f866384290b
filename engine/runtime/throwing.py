"""Throwing errors, escalations and signals.

An error or escalation looks for a boundary event that catches it: first on the element it comes
from (a task) or on the enclosing scope (an end event), then outwards scope by scope, and from a
child instance's process scope on to the calling call activity in the parent — and stops there
(go-bpmn). Among the boundary events of one activity an exact code wins over a catch-all (an
empty code), in document order.

- Error boundary events always interrupt.
- An escalation *throw* event reaches only non-interrupting boundary events and its token always
  continues; an escalation *end* event reaches only interrupting ones; an escalation from a job
  or a user task reaches both.
- An uncaught error or escalation end event ends like a none end event; an uncaught error or
  escalation from a job fails the job (incident, see ``jobs``); from a user task it is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from engine.errors import EngineError, ErrorKind
from engine.model import ElementType
from engine.runtime import boundary, tokens
from engine.runtime.instances import ElementInstance, ParentBoundary, ParentTrigger
from engine.runtime.step import Step
from engine.states import InstanceState

Kind = Literal["error", "escalation"]
Interrupting = Literal["any", "interrupting", "non-interrupting"]

_BOUNDARY_TYPE = {"error": ElementType.ERROR_BOUNDARY_EVENT, "escalation": ElementType.ESCALATION_BOUNDARY_EVENT}


class NotCaught(Exception):
    """No boundary event catches the error or escalation."""


@dataclass(frozen=True)
class Caught:
    """Where an error or escalation was caught: here (a boundary EI) or in the parent instance."""

    local: ElementInstance | None = None
    parent: ParentBoundary | None = None

    @property
    def interrupting(self) -> bool:
        if self.local is not None:
            return boundary.is_interrupting(self.local)
        assert self.parent is not None
        element = self.parent.element
        return element.type is ElementType.ERROR_BOUNDARY_EVENT or element.cancel_activity


def _allowed(element_type: ElementType, cancel_activity: bool, which: Interrupting) -> bool:
    interrupting = element_type is ElementType.ERROR_BOUNDARY_EVENT or cancel_activity
    return which == "any" or (which == "interrupting") == interrupting


def _choose(candidates: list[tuple[str | None, object]], code: str) -> object | None:
    exact = next((item for armed, item in candidates if armed == code), None)
    if exact is not None:
        return exact
    return next((item for armed, item in candidates if armed == ""), None)


def find(step: Step, start: ElementInstance | None, kind: Kind, code: str, which: Interrupting) -> Caught | None:
    """The boundary event that catches ``code``, searching from ``start`` outwards."""
    wanted = _BOUNDARY_TYPE[kind]
    current = start
    while current is not None:
        order = [e.id for e in step.process.model.boundary_events(current.element.id)]
        attached = sorted(
            (
                b
                for b in step.element_instances
                if b.prev is current
                and not b.is_ended
                and b.element.type is wanted
                and b.state is InstanceState.CREATED
                and _allowed(b.element.type, b.element.cancel_activity, which)
            ),
            key=lambda b: order.index(b.element.id) if b.element.id in order else len(order),
        )
        chosen = _choose([((b.context or {}).get("code"), b) for b in attached], code)
        if chosen is not None:
            return Caught(local=chosen)  # type: ignore[arg-type]
        current = current.parent
    parents = [
        p
        for p in step.parent_boundaries()
        if p.element.type is wanted and _allowed(p.element.type, p.element.cancel_activity, which)
    ]
    chosen_parent = _choose([(p.code, p) for p in parents], code)
    return Caught(parent=chosen_parent) if chosen_parent is not None else None  # type: ignore[arg-type]


def deliver(step: Step, caught: Caught, kind: Kind, code: str) -> None:
    """Fire the catching boundary event; for the parent, end this instance first if it interrupts."""
    if caught.local is not None:
        boundary.fire(step, caught.local)
        return
    assert caught.parent is not None
    step.output.parent_triggers.append(ParentTrigger(caught.parent, {f"{kind}Code": code}))
    if caught.interrupting:
        scope = step.process_scope()
        if scope is not None:
            tokens.terminate(step, scope)
        tokens.end_instance(step, InstanceState.TERMINATED)


def throw_end(step: Step, ei: ElementInstance, kind: Kind, code: str) -> None:
    """An error or escalation end event: caught, or a none end event when nothing catches it."""
    tokens.finish(step, ei)
    which: Interrupting = "any" if kind == "error" else "interrupting"
    caught = find(step, step.scope_of(ei), kind, code, which)
    if caught is not None:
        deliver(step, caught, kind, code)


def throw_escalation(step: Step, ei: ElementInstance, code: str) -> None:
    """An escalation throw event: non-interrupting boundary events may catch it; it continues."""
    caught = find(step, step.scope_of(ei), "escalation", code, "non-interrupting")
    if caught is not None:
        deliver(step, caught, "escalation", code)
    tokens.take_all(step, ei)


def throw_from_user_task(
    step: Step, ei: ElementInstance, error_code: str | None, escalation_code: str | None
) -> Literal["terminated", "continues"]:
    """A person threw a BPMN error or escalation from a user task. Nothing catching it is a 422."""
    kind: Kind = "error" if error_code else "escalation"
    code = error_code or escalation_code or ""
    caught = find(step, ei, kind, code, "any")
    if caught is None:
        raise EngineError(
            ErrorKind.EXECUTION, "failed to update user task", f"failed to find boundary event for {kind} code {code}"
        )
    deliver(step, caught, kind, code)
    return "terminated" if caught.interrupting else "continues"


def throw_signal(step: Step, ei: ElementInstance, name: str, *, end: bool) -> None:
    """A signal throw or end event: the signal is sent when the step commits."""
    step.output.signals.append((ei, name))
    if end:
        tokens.finish(step, ei)
    else:
        tokens.take_all(step, ei)
