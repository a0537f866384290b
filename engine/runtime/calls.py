"""Call activities: a child process instance runs in place of the activity.

With ``calledElement`` in the model (``id``, ``id:version``, a fixed ``camunda:calledElementVersion``,
or an expression) the engine starts the child itself. The Zeebe way, when the call activity has
no ``camunda:in``/``camunda:out``: input mappings decide which variables the child gets (all of
the caller's process variables when there are none), output mappings which come back (all of the
child's when there are none, unless ``propagateAllChildVariables="false"``), and the child gets
the caller's correlation key. With ``camunda:in``/``camunda:out`` (or Flowable's), only what they
name crosses (:mod:`engine.runtime.call_variables`); the activity's input parameters are then its
own local variables, as in Camunda 7. Without ``calledElement`` a ``CALL_PROCESS`` job names the
process and, when the child ends, a ``PASS_VARIABLES`` job lets a worker pass variables back
(go-bpmn). Child instances live in their root's partition and record their parent and root.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.expressions import ExpressionError, evaluate, to_json
from engine.runtime import call_variables, tokens
from engine.runtime.conditions import EvaluationError, evaluate_expression, value_or_expression
from engine.runtime.instances import CallRequest, ElementInstance
from engine.runtime.mappings import as_expression
from engine.runtime.step import Step
from engine.states import JobKind
from engine.variables import VariableChange, from_value


class CallError(ValueError):
    """The called process cannot be started."""


def split(called: str, fixed_version: str | None) -> tuple[str, str | None]:
    """``"id:version"`` → (id, version); ``"id"`` → (id, the fixed version or None = latest)."""
    bpmn_process_id, sep, version = called.partition(":")
    if sep and version:
        return bpmn_process_id, version
    return called, fixed_version


def begin(step: Step, ei: ElementInstance) -> None:
    """Start the child instance (or ask a worker through a ``CALL_PROCESS`` job)."""
    element = ei.element
    if not element.called_element:
        step.add_job(ei, JobKind.CALL_PROCESS)
        return
    try:
        called = value_or_expression(step, ei, element.called_element)
        bpmn_process_id, version = split(str(called), element.called_version)
        passing = element.call_variables
        if passing is None:
            variables, key = _inputs(step, ei), step.instance.correlation_key
        else:
            variables, key = call_variables.ins(step, ei, passing), call_variables.business_key(step, ei, passing)
        request(
            step,
            ei,
            bpmn_process_id,
            version,
            variables,
            correlation_key=key,
            copy_all=passing is None and not element.inputs,
        )
    except (EvaluationError, CallError) as exc:
        step.add_incident(ei, str(exc))


def request(
    step: Step,
    ei: ElementInstance,
    bpmn_process_id: str,
    version: str | None,
    variables: tuple[VariableChange, ...],
    *,
    correlation_key: str | None = None,
    tags: tuple[tuple[str, str], ...] = (),
    via_job: bool = False,
    copy_all: bool = False,
) -> None:
    """Record the child instance to create when the step is written; refuse unknown processes."""
    if step.lookup_process(bpmn_process_id, version) is None:
        target = f"{bpmn_process_id}:{version}" if version else bpmn_process_id
        raise CallError(f"process {target} could not be found")
    step.set_context(ei, viaJob=via_job, copyAll=copy_all)
    step.output.calls.append(
        CallRequest(ei, bpmn_process_id, version, variables, correlation_key, tags, via_job=via_job)
    )


def child_ended(step: Step, ei: ElementInstance, child_variables: Mapping[str, Any]) -> list[VariableChange]:
    """The child completed: what ``camunda:out`` names is set (in the step), the output mappings'
    values are returned for the process scope, then the call activity moves on."""
    outputs = ei.element.outputs
    changes: list[VariableChange] = []
    if ei.element.call_variables is not None:
        call_variables.outs(step, ei, ei.element.call_variables, child_variables)
    if outputs:
        for mapping in outputs:
            value = _evaluate_in(child_variables, mapping.source, ei)
            changes.append(VariableChange(mapping.target, from_value(value)))
    tokens.take_all(step, ei)
    return changes


def _inputs(step: Step, ei: ElementInstance) -> tuple[VariableChange, ...]:
    changes = []
    for mapping in ei.element.inputs:
        value = evaluate_expression(step, ei, as_expression(mapping.source), ei.element.id)
        changes.append(VariableChange(mapping.target, from_value(value)))
    return tuple(changes)


def _evaluate_in(variables: Mapping[str, Any], source: str, ei: ElementInstance) -> Any:
    try:
        return to_json(evaluate(as_expression(source), variables))
    except ExpressionError as exc:
        raise EvaluationError(source, ei.element.id, exc.reason) from exc
