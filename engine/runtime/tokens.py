"""Token movement primitives shared by every element handler.

``arrive`` puts a token on an element (a new element instance, entered later from the agenda),
``take`` completes an element instance and sends tokens along sequence flows, ``finish``
completes one that has nowhere to go, ``terminate`` cuts an element instance and everything
inside it off, and ``end_instance`` ends the process instance once its scope is done. Handlers
are written only in these terms; this module imports no element module, so every one can use it.
"""

from __future__ import annotations

from collections.abc import Sequence

from engine.model import ElementType, SequenceFlow
from engine.runtime import mappings
from engine.runtime.conditions import EvaluationError, is_taken
from engine.runtime.instances import ElementInstance
from engine.runtime.step import Step
from engine.states import InstanceState

# Gateways that wait for tokens on several incoming flows remember the flow each token came by.
_JOINS = frozenset({ElementType.PARALLEL_GATEWAY, ElementType.INCLUSIVE_GATEWAY})


def arrive(
    step: Step, scope: ElementInstance, flow: SequenceFlow | None, target_id: str, source: ElementInstance | None = None
) -> ElementInstance:
    """Put a token on ``target_id`` inside ``scope``; it is entered when the agenda reaches it."""
    target = step.process.element(target_id)
    context = None
    prev_element_id = None
    if target.type in _JOINS and len(target.incoming) > 1 and flow is not None:
        context = {"flow": flow.id}
        if source is not None:
            prev_element_id = source.element_id
    if source is not None and source.element.async_after:
        context = {**(context or {}), "asyncAfter": True}  # entered by a task (engine.runtime.continuations)
    ei = step.create(target, scope, prev_element_id=prev_element_id, context=context)
    step.agenda.append(("enter", ei))
    return ei


def take(step: Step, ei: ElementInstance, flows: Sequence[SequenceFlow]) -> None:
    """Complete ``ei`` and send one token along each of ``flows``."""
    step.set_state(ei, InstanceState.COMPLETED)
    end_boundary_events(step, ei)
    scope = step.scope_of(ei)
    for flow in flows:
        arrive(step, scope, flow, flow.target_id, source=ei)


def take_all(step: Step, ei: ElementInstance) -> None:
    """Complete ``ei`` and follow its outgoing sequence flows.

    Flows without a condition are always taken. An activity's flows may be BPMN conditional
    flows: each one whose condition holds is taken too, and its ``default`` flow only when no
    other flow is. When none can be taken, or a condition fails, the activity stays with an
    incident; resolving it evaluates the flows again (Camunda 7 refuses to complete instead).
    An activity's post-script and output mappings are applied first; one that fails is such an
    incident too.
    """
    try:
        if ei.element.post_script is not None:
            mappings.run_script(step, ei, ei.element.post_script)
        if ei.element.outputs and ei.element.type is not ElementType.CALL_ACTIVITY:  # calls map from the child
            mappings.apply_outputs(step, ei)
    except EvaluationError as exc:
        _stuck_leaving(step, ei, str(exc))
        return
    flows = step.process.model.outgoing(ei.element.id)
    default_id = ei.element.default_flow
    if default_id is None and all(flow.condition is None for flow in flows):
        take(step, ei, flows)
        return
    try:
        chosen = [flow for flow in flows if flow.id != default_id and is_taken(step, ei, flow)]
    except EvaluationError as exc:
        _stuck_leaving(step, ei, str(exc))
        return
    if not chosen and default_id is not None:
        chosen = [step.process.model.flows[default_id]]
    if not chosen:
        _stuck_leaving(
            step,
            ei,
            f"no outgoing sequence flow of {ei.element.id} can be taken: no condition is true and it has no "
            f"default flow",
        )
        return
    take(step, ei, chosen)


def _stuck_leaving(step: Step, ei: ElementInstance, reason: str) -> None:
    step.set_context(ei, leaving=True)  # execution.reenter leaves again instead of entering
    step.add_incident(ei, reason)


def finish(step: Step, ei: ElementInstance) -> None:
    """Complete ``ei``; its token ends here (its scope may then complete when it settles)."""
    take(step, ei, ())


def wait(step: Step, ei: ElementInstance) -> None:
    """Leave ``ei`` waiting (STARTED) for a job, a task, a user or an event."""
    step.set_state(ei, InstanceState.STARTED)


def terminate(step: Step, ei: ElementInstance, state: InstanceState = InstanceState.TERMINATED) -> None:
    """End ``ei`` without completing it, and everything still active inside it."""
    for child in step.children(ei):
        terminate(step, child, state)
    end_boundary_events(step, ei, state)
    if not ei.is_ended:
        step.set_state(ei, state)


def end_boundary_events(step: Step, activity: ElementInstance, state: InstanceState = InstanceState.TERMINATED) -> None:
    """Terminate the boundary events still waiting on an activity that ended."""
    if not step.process.model.boundary_events(activity.element.id):
        return
    for ei in step.element_instances:
        if ei.prev is activity and not ei.is_ended and ei.element.attached_to == activity.element.id:
            step.set_state(ei, state)


def end_instance(step: Step, state: InstanceState, reason: str | None = None) -> None:
    """Mark the process instance as ended."""
    instance = step.instance
    instance.state = state
    instance.ended_at = step.now
    instance.ended_by = step.worker_id
    if reason is not None:
        instance.end_reason = reason
    instance.dirty = True


def depth(ei: ElementInstance) -> int:
    """How deep an element instance sits in the token tree (the process scope is 0)."""
    level = 0
    current = ei.parent
    while current is not None:
        level += 1
        current = current.parent
    return level
