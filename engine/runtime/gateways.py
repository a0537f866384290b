"""Gateways: exclusive, inclusive and parallel forks and joins.

Exclusive and inclusive gateways decide by themselves when their outgoing flows carry conditions
(or a default flow); otherwise they open an ``EVALUATE_*_GATEWAY`` job and a worker names the
targets, as in go-bpmn. A parallel join waits in a ``JOIN_PARALLEL_GATEWAY`` task; an inclusive
join fires once no active token of its scope can still reach it.
"""

from __future__ import annotations

from collections.abc import Sequence

from engine.model import ElementType, SequenceFlow
from engine.runtime import tokens
from engine.runtime.conditions import EvaluationError, is_taken
from engine.runtime.instances import ElementInstance
from engine.runtime.step import Step
from engine.states import InstanceState, JobKind, TaskKind


class DecisionError(ValueError):
    """A worker's gateway decision names no valid outgoing flow."""


def _conditional(ei: ElementInstance, flows: Sequence[SequenceFlow]) -> bool:
    """Whether the engine decides: some non-default outgoing flow carries a condition.

    Without conditions a worker decides through a job, even when there is a default flow
    (go-bpmn: completing the job without a decision takes the default).
    """
    return any(flow.condition is not None for flow in flows if flow.id != ei.element.default_flow)


def _default(step: Step, ei: ElementInstance) -> SequenceFlow | None:
    flow_id = ei.element.default_flow
    return step.process.model.flows[flow_id] if flow_id else None


# --- exclusive ---------------------------------------------------------------------------------


def enter_exclusive(step: Step, ei: ElementInstance) -> None:
    """Take exactly one outgoing flow: the first whose condition holds, else the default."""
    flows = step.process.model.outgoing(ei.element.id)
    if len(flows) <= 1:
        tokens.take(step, ei, flows)
        return
    if not _conditional(ei, flows):
        tokens.wait(step, ei)
        step.add_job(ei, JobKind.EVALUATE_EXCLUSIVE_GATEWAY)
        return
    try:
        chosen = next((f for f in flows if f.id != ei.element.default_flow and is_taken(step, ei, f)), None)
    except EvaluationError as exc:
        _incident(step, ei, str(exc))
        return
    chosen = chosen or _default(step, ei)
    if chosen is None:
        _incident(step, ei, f"no condition of exclusive gateway {ei.element.id} is true and it has no default flow")
        return
    tokens.take(step, ei, [chosen])


def decide_exclusive(step: Step, ei: ElementInstance, target_id: str | None) -> None:
    """Complete an ``EVALUATE_EXCLUSIVE_GATEWAY`` job: continue towards ``target_id``."""
    flows = step.process.model.outgoing(ei.element.id)
    if not target_id:
        default = _default(step, ei)
        if default is None:
            raise DecisionError(f"exclusive gateway {ei.element.id} needs a decision: it has no default flow")
        tokens.take(step, ei, [default])
        return
    flow = next((f for f in flows if f.target_id == target_id), None)
    if flow is None:
        raise DecisionError(f"element {ei.element.id} has no outgoing sequence flow to {target_id}")
    tokens.take(step, ei, [flow])


# --- inclusive ---------------------------------------------------------------------------------


def enter_inclusive(step: Step, ei: ElementInstance) -> None:
    """A fork takes every flow whose condition holds (else the default); a join waits first."""
    element = ei.element
    if len(element.incoming) > 1:
        tokens.wait(step, ei)  # fired by settle_inclusive_joins once nothing else can arrive
        return
    fork_inclusive(step, ei)


def fork_inclusive(step: Step, ei: ElementInstance) -> None:
    """Leave an inclusive gateway (after its join, if it is one)."""
    flows = step.process.model.outgoing(ei.element.id)
    if len(flows) <= 1:
        tokens.take(step, ei, flows)
        return
    if not _conditional(ei, flows):
        tokens.wait(step, ei)
        step.set_context(ei, joined=True)
        step.add_job(ei, JobKind.EVALUATE_INCLUSIVE_GATEWAY)
        return
    try:
        chosen = [f for f in flows if f.id != ei.element.default_flow and is_taken(step, ei, f)]
    except EvaluationError as exc:
        _incident(step, ei, str(exc))
        return
    if not chosen:
        default = _default(step, ei)
        if default is None:
            _incident(step, ei, f"no condition of inclusive gateway {ei.element.id} is true and it has no default flow")
            return
        chosen = [default]
    tokens.take(step, ei, chosen)


def decide_inclusive(step: Step, ei: ElementInstance, target_ids: Sequence[str] | None) -> None:
    """Complete an ``EVALUATE_INCLUSIVE_GATEWAY`` job: continue towards every named target.

    As in go-bpmn, the default flow is taken in addition to the named targets, and alone when
    no target is named.
    """
    flows = step.process.model.outgoing(ei.element.id)
    targets = list(target_ids or [])
    seen: set[str] = set()
    for target in targets:
        if target in seen:
            raise DecisionError(f"inclusive gateway decision names {target} twice (duplicate)")
        seen.add(target)
    chosen: list[SequenceFlow] = []
    for target in targets:
        flow = next((f for f in flows if f.target_id == target), None)
        if flow is None:
            raise DecisionError(f"element {ei.element.id} has no outgoing sequence flow to {target}")
        chosen.append(flow)
    default = _default(step, ei)
    if default is not None and default not in chosen:
        chosen.append(default)
    if not chosen:
        raise DecisionError(f"inclusive gateway {ei.element.id} needs at least one target: it has no default flow")
    tokens.take(step, ei, sorted(chosen, key=flows.index))


def settle_inclusive_joins(step: Step, scope: ElementInstance) -> bool:
    """Fire every waiting inclusive join of ``scope`` that no active token can still reach."""
    children = step.children(scope)
    waiting = [
        c
        for c in children
        if c.element.type is ElementType.INCLUSIVE_GATEWAY
        and c.state is InstanceState.STARTED
        and c.context is not None
        and "flow" in c.context
        and not c.context.get("joined")
    ]
    fired = False
    for join_id in dict.fromkeys(c.element.id for c in waiting):
        arrived = [c for c in waiting if c.element.id == join_id]
        others = [c for c in children if c.element.id != join_id]
        if any(step.process.can_reach(other.element.id, join_id) for other in others):
            continue
        by_flow: dict[str, ElementInstance] = {}
        for ei in arrived:
            by_flow.setdefault(ei.context["flow"], ei)  # type: ignore[index]
        first, *rest = by_flow.values()
        for ei in rest:
            tokens.finish(step, ei)
        step.set_context(first, joined=True)
        fork_inclusive(step, first)
        fired = True
    return fired


# --- parallel ----------------------------------------------------------------------------------


def enter_parallel(step: Step, ei: ElementInstance) -> None:
    """A fork takes every outgoing flow; a join waits for a ``JOIN_PARALLEL_GATEWAY`` task."""
    if len(ei.element.incoming) > 1:
        tokens.wait(step, ei)
        step.add_task(TaskKind.JOIN_PARALLEL_GATEWAY, ei=ei)
        return
    tokens.take_all(step, ei)


def join_parallel(step: Step, ei: ElementInstance) -> bool:
    """Run a ``JOIN_PARALLEL_GATEWAY`` task: fire when a token waits on every incoming flow.

    Arrivals are serialized by the instance lock, so a join fires exactly once per set of
    tokens. Returns whether it fired.
    """
    if ei.is_ended:
        return False
    incoming = ei.element.incoming
    waiting = sorted(
        (
            c
            for c in step.children(step.scope_of(ei))
            if c.element.id == ei.element.id and c.state is InstanceState.STARTED and c.context
        ),
        key=lambda c: c.id or 0,
    )
    by_flow: dict[str, ElementInstance] = {}
    for candidate in waiting:
        by_flow.setdefault(candidate.context["flow"], candidate)  # type: ignore[index]
    if any(flow_id not in by_flow for flow_id in incoming):
        return False
    joined = [by_flow[flow_id] for flow_id in incoming]
    first = min(joined, key=lambda c: c.id or 0)
    for other in joined:
        if other is not first:
            tokens.finish(step, other)
    tokens.take_all(step, first)
    return True


def _incident(step: Step, ei: ElementInstance, error: str) -> None:
    tokens.wait(step, ei)
    step.add_incident(ei, error)
