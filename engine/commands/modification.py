"""Process instance modification: restart an instance from a given element.

Every active token is cut off (TERMINATED, with its jobs, tasks, user tasks, subscriptions and
child instances), and one token starts at the element, inside the scopes that enclose it (new
sub-process scopes are opened as needed). An instance that has already ended is reopened. The
element must belong to the instance's own process (not to a called child process).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from engine.commands import lifecycle
from engine.errors import EngineError, ErrorCause, ErrorKind
from engine.model import BOUNDARY_EVENTS, ElementType
from engine.queries.process_instances import to_process_instance
from engine.queries.records import ProcessInstance
from engine.runtime import execution, tokens
from engine.runtime.instances import ElementInstance
from engine.runtime.step import Step
from engine.states import InstanceState
from engine.store import steps
from engine.store import variables as variable_store
from engine.store.db import Tx
from engine.variables import Policy, VariableChange


def restart_from(
    tx: Tx,
    partition: date,
    instance_id: int,
    bpmn_element_id: str,
    worker_id: str,
    policy: Policy,
    variables: Sequence[VariableChange] = (),
) -> ProcessInstance:
    """Cancel the active tokens of an instance and start one at ``bpmn_element_id``."""
    title = "failed to modify process instance"
    row = steps.lock_instance(tx, partition, instance_id, title=title)
    if row.state in (InstanceState.CREATED, InstanceState.QUEUED):
        raise EngineError(
            ErrorKind.CONFLICT,
            title,
            f"process instance {partition.isoformat()}/{instance_id} has not started yet ({row.state})",
        )
    step = steps.begin(tx, row, policy.keyring)
    step.worker_id = worker_id
    model = step.process.model
    element = model.elements.get(bpmn_element_id)
    if element is None or element.type is ElementType.PROCESS or element.type in BOUNDARY_EVENTS:
        raise EngineError(
            ErrorKind.VALIDATION,
            title,
            f"process {model.id} has no element {bpmn_element_id} that a token can start at",
            [ErrorCause("#/bpmnElementId", "element", "must be a flow element of the process", bpmn_element_id)],
        )
    variable_store.apply(tx, variable_store.Scope(partition, instance_id, row.process_id), variables, policy)
    scope = step.process_scope()
    if scope is not None:
        for child in step.children(scope):
            tokens.terminate(step, child)
    if scope is None or scope.is_ended:
        scope = step.create(model.process, None)
        step.set_state(scope, InstanceState.STARTED)
    instance = step.instance
    instance.state = InstanceState.STARTED if row.state != InstanceState.SUSPENDED else InstanceState.SUSPENDED
    instance.ended_at = None
    instance.ended_by = None
    instance.started_at = instance.started_at or step.now
    instance.dirty = True
    parent = _open_scopes(step, scope, element.parent_id)
    tokens.arrive(step, parent, None, element.id)
    execution.run(step)
    lifecycle.finish(tx, step, policy)
    return to_process_instance(steps.lock_instance(tx, partition, instance_id, title=title))


def _open_scopes(step: Step, process_scope: ElementInstance, scope_id: str | None) -> ElementInstance:
    """The element instance of ``scope_id``: new (STARTED) sub-process scopes down from the process."""
    model = step.process.model
    chain: list[str] = []
    current = scope_id
    while current is not None and current != model.id:
        chain.append(current)
        current = model.elements[current].parent_id
    parent = process_scope
    for sub_process_id in reversed(chain):
        opened = step.create(model.elements[sub_process_id], parent)
        step.set_state(opened, InstanceState.STARTED)
        parent = opened
    return parent
