"""The parent side of call activities: taking a completed child's variables back."""

from __future__ import annotations

from engine.runtime import calls as call_semantics
from engine.runtime import execution
from engine.runtime.conditions import EvaluationError
from engine.runtime.instances import ElementInstance
from engine.runtime.step import Step
from engine.store import steps
from engine.store.db import Tx
from engine.store.variables import Scope, apply, copy_process_variables
from engine.variables import Policy


def child_completed(tx: Tx, step: Step, ei: ElementInstance, child_id: int, policy: Policy) -> None:
    """Pass the child's variables back and move on: what ``camunda:out`` and the output mappings
    name, else all of them (unless ``propagateAllChildVariables="false"``)."""
    instance = step.instance
    element = ei.element
    try:
        if element.outputs or element.call_variables is not None:
            child_values = steps.load_variables(tx.conn, instance.partition, child_id, policy.keyring).get(None, {})
            changes = call_semantics.child_ended(step, ei, child_values)
            apply(tx, Scope(instance.partition, instance.id, instance.process_id), changes, policy)
        else:
            if element.propagate_all_child_variables:
                copy_process_variables(
                    tx, instance.partition, child_id, instance.id, instance.process_id, policy.max_instance_bytes
                )
            call_semantics.child_ended(step, ei, {})
    except EvaluationError as exc:
        step.add_incident(ei, str(exc))
        return
    execution.run(step)
