"""The event-based gateway: the first of its catch events to happen decides the way."""

from __future__ import annotations

from engine.runtime import catching, tokens
from engine.runtime.instances import ElementInstance
from engine.runtime.step import Step
from engine.states import InstanceState


def enter(step: Step, gateway: ElementInstance) -> None:
    """Arm every catch event behind the gateway; the gateway waits (STARTED once all are armed)."""
    scope = step.scope_of(gateway)
    pending = 0
    for flow in step.process.model.outgoing(gateway.element.id):
        target = step.create(step.process.element(flow.target_id), scope, prev=gateway)
        if not catching.arm(step, target):
            pending += 1
    if pending:
        step.set_context(gateway, pending=pending)
    else:
        tokens.wait(step, gateway)


def armed(step: Step, target: ElementInstance) -> None:
    """One of the catch events was armed by its job."""
    gateway = target.prev
    assert gateway is not None
    pending = int((gateway.context or {}).get("pending", 0)) - 1
    step.set_context(gateway, pending=max(pending, 0))
    if pending <= 0 and gateway.state is InstanceState.CREATED:
        tokens.wait(step, gateway)


def decide(step: Step, winner: ElementInstance) -> None:
    """``winner``'s event happened first: the gateway completes, the other catch events end."""
    gateway = winner.prev
    assert gateway is not None
    for ei in step.element_instances:
        if ei.prev is gateway and ei is not winner and not ei.is_ended:
            step.set_state(ei, InstanceState.TERMINATED)
    if not gateway.is_ended:
        step.set_state(gateway, InstanceState.COMPLETED)
