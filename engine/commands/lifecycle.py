"""Finishing a step: write it, then carry out what reaches beyond its instance.

A step changes one process instance. What it sets off elsewhere — child instances of call
activities, boundary events of the calling instance, thrown signals, the next queued instance,
the parent's continuation when a child ends — is done here, in the same transaction.
"""

from __future__ import annotations

from typing import Any

from engine import variables as codec
from engine.commands import queue
from engine.commands.signals import send_signal_now
from engine.runtime.instances import CallRequest
from engine.runtime.step import Step
from engine.states import InstanceState, JobKind, TaskKind, WorkState
from engine.store import element_instances, messages, steps
from engine.store import process_instances as instance_store
from engine.store import processes as process_store
from engine.store.db import Tx
from engine.store.flush import flush_step
from engine.store.variables import Scope, apply, copy_process_variables
from engine.variables import Policy


def finish(tx: Tx, step: Step, policy: Policy) -> None:
    """Flush a step and carry out its effects on other instances."""
    flush_step(tx, step)
    out = step.output
    if out.variables:
        _write_variables(tx, step, policy)
    for request in out.calls:
        if not request.element_instance.is_ended:
            create_child(tx, step, request, policy)
    if out.parent_triggers:
        instance = step.instance
        steps.insert_tasks(
            tx,
            [
                {
                    "partition": instance.partition,
                    "element_id": trigger.boundary.element_id,
                    "element_instance_id": trigger.boundary.element_instance_id,
                    "process_id": instance_store.process_id_of(tx, instance.partition, instance.parent_id),
                    "process_instance_id": instance.parent_id,
                    "bpmn_element_id": trigger.boundary.element.id,
                    "type": str(TaskKind.TRIGGER_EVENT),
                    "serialized_task": trigger.payload,
                    "due_at": tx.now,
                }
                for trigger in out.parent_triggers
            ],
        )
    if out.signals:
        for _, name in out.signals:
            send_signal_now(tx, name, (), step.worker_id)
    if step.instance.just_started:
        tx.fact("instance_started", process=step.instance.bpmn_process_id)
    for _ in out.incidents:
        tx.fact("incident_created", process=step.instance.bpmn_process_id)
    if step.instance.is_ended:
        after_end(tx, step)


def _write_variables(tx: Tx, step: Step, policy: Policy) -> None:
    """Write the variables the step set, scope by scope (element instances have ids by now)."""
    instance = step.instance
    by_scope: dict[int | None, tuple[Scope, list[codec.VariableChange]]] = {}
    for ei, change in step.output.variables:
        key = None if ei is None else ei.id
        if key not in by_scope:
            scope = Scope(instance.partition, instance.id, instance.process_id)
            if ei is not None:
                scope = Scope(instance.partition, instance.id, instance.process_id, ei.id, ei.element_id)
            by_scope[key] = (scope, [])
        by_scope[key][1].append(change)
    for scope, changes in by_scope.values():
        apply(tx, scope, changes, policy)


def after_end(tx: Tx, step: Step) -> None:
    """An instance ended: its message expires, its parent goes on, the next queued instance starts."""
    instance = step.instance
    tx.fact("instance_ended", process=instance.bpmn_process_id, state=str(instance.state))
    if instance.message_id is not None:
        messages.expire(tx, instance.message_id, tx.now)
    if instance.parent_id is not None and instance.state is InstanceState.COMPLETED:
        _child_completed(tx, step)
    queue.release(
        tx, instance.bpmn_process_id, was_running=instance.started_at is not None, was_queued=instance.was_queued
    )


def _child_completed(tx: Tx, step: Step) -> None:
    """Tell the parent's call activity: a PASS_VARIABLES job (called by a job) or a task that
    passes the variables back and moves on (called by the model)."""
    instance = step.instance
    caller = element_instances.get(tx, instance.partition, instance.parent_element_instance_id)
    if caller is None or caller.ended_at is not None:
        return
    if (caller.context or {}).get("viaJob"):
        parent = instance_store.correlation_of(tx, instance.partition, instance.parent_id)
        steps.insert_jobs(
            tx,
            instance.partition,
            [
                {
                    "partition": instance.partition,
                    "element_id": caller.element_id,
                    "element_instance_id": caller.id,
                    "process_id": caller.process_id,
                    "process_instance_id": caller.process_instance_id,
                    "bpmn_element_id": caller.bpmn_element_id,
                    "bpmn_process_id": parent.bpmn_process_id,
                    "type": str(JobKind.PASS_VARIABLES),
                    "correlation_key": parent.correlation_key,
                    "state": str(WorkState.CREATED),
                    "created_at": tx.now,
                    "created_by": step.worker_id,
                    "due_at": tx.now,
                }
            ],
        )
        return
    steps.insert_tasks(
        tx,
        [
            {
                "partition": instance.partition,
                "element_id": caller.element_id,
                "element_instance_id": caller.id,
                "process_id": caller.process_id,
                "process_instance_id": caller.process_instance_id,
                "bpmn_element_id": caller.bpmn_element_id,
                "type": str(TaskKind.CONTINUE_EXECUTION),
                "serialized_task": {"action": "child_completed", "child": instance.id},
                "due_at": tx.now,
            }
        ],
    )


def create_child(tx: Tx, step: Step, request: CallRequest, policy: Policy) -> int:
    """Create (and schedule the start of) the child instance of a call activity."""
    parent = step.instance
    process = (
        process_store.find(tx.conn, request.bpmn_process_id, request.version)
        if request.version is not None
        else process_store.find_latest(tx.conn, request.bpmn_process_id)
    )
    assert process is not None  # checked by the runtime within this transaction
    caller = request.element_instance
    child_id = instance_store.create(
        tx,
        parent.partition,
        process,
        created_by=step.worker_id,
        correlation_key=request.correlation_key,
        tags=request.tags,
        parent_id=parent.id,
        root_id=parent.root_id or parent.id,
        parent_element_instance_id=caller.id,
    ).id
    if (caller.context or {}).get("copyAll"):
        copy_process_variables(tx, parent.partition, parent.id, child_id, process.id)
    changes = [_change(v) for v in request.variables]
    if changes:
        apply(tx, Scope(parent.partition, child_id, process.id), changes, policy)
    element_instances.link_child(tx, parent.partition, caller.id, child_id)
    steps.insert_tasks(
        tx,
        [
            {
                "partition": parent.partition,
                "process_id": process.id,
                "process_instance_id": child_id,
                "type": str(TaskKind.START_PROCESS_INSTANCE),
                "due_at": tx.now,
            }
        ],
    )
    return child_id


def _change(value: Any) -> codec.VariableChange:
    """A variable change from the runtime or from a job completion's wire form."""
    if isinstance(value, codec.VariableChange):
        return value
    data = value.get("data")
    if data is None:
        return codec.VariableChange(value["name"], None)
    return codec.VariableChange(
        value["name"], codec.VariableData(data["encoding"], data["value"], bool(data.get("encrypted")))
    )
