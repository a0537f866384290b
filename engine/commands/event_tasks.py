"""Engine tasks of events: TRIGGER_EVENT, TERMINATE_PROCESS_INSTANCE, DEQUEUE_PROCESS_INSTANCE.

A TRIGGER_EVENT task delivers one event: a timer that is due, a message or a signal to a waiting
element instance, an error or escalation to a parent's boundary event, the throw of a throw or
end event — or, without an instance, a message, signal or timer start event that starts one.
"""

from __future__ import annotations

from typing import Any

from engine.commands import lifecycle, queue
from engine.commands.engine_tasks.executor import TaskContext
from engine.model import Timer
from engine.runtime import boundary, events, execution, timers, tokens
from engine.runtime.step import Step
from engine.states import InstanceState, TaskKind, WorkState
from engine.store import engine_tasks as task_store
from engine.store import event_definitions, steps
from engine.store import messages as message_store
from engine.store import process_instances as instance_store
from engine.store import processes as process_store
from engine.store import signals as signal_store
from engine.store import variables as variable_store
from engine.store.db import Tx
from engine.store.process_instances import InstanceRow
from engine.variables import VariableChange, VariableData


def trigger_event(tx: Tx, task: Any, instance: InstanceRow | None, ctx: TaskContext) -> WorkState:
    """Run a TRIGGER_EVENT task."""
    payload: dict[str, Any] = task.serialized_task or {}
    if instance is None:
        return _start(tx, task, payload, ctx)
    message_id = payload.get("messageId")
    if instance.state != InstanceState.STARTED:
        _expire(tx, message_id)
        return WorkState.CANCELED
    step = steps.begin(tx, instance, ctx.policy.keyring)
    ei = step.find(task.element_instance_id)
    if ei is None or ei.is_ended:
        _expire(tx, message_id)
        return WorkState.CANCELED
    if "throw" in payload:
        events.throw(step, ei)
    elif "errorCode" in payload or "escalationCode" in payload:
        boundary.fire(step, ei)  # caught from a child instance
    else:
        if message_id is not None:
            message = message_store.get(tx, message_id)
            _apply(tx, step, message.variables if message else None, ctx)
            message_store.expire(tx, message_id, tx.now)
        elif "signalId" in payload:
            _apply(tx, step, signal_store.variables_of(tx, payload["signalId"]), ctx)
        elif "timer" in payload:
            step.set_context(ei, remaining=payload.get("remaining"))
        execution.trigger(step, ei)
    execution.run(step)
    lifecycle.finish(tx, step, ctx.policy)
    return WorkState.DONE


def _apply(tx: Tx, step: Step, wire: list[dict[str, Any]] | None, ctx: TaskContext) -> None:
    """Variables a message or signal brings become process variables (no data deletes)."""
    if not wire:
        return
    changes = [
        VariableChange(
            v["name"],
            None
            if v.get("data") is None
            else VariableData(v["data"]["encoding"], v["data"]["value"], bool(v["data"].get("encrypted"))),
        )
        for v in wire
    ]
    instance = step.instance
    variable_store.apply(
        tx, variable_store.Scope(instance.partition, instance.id, instance.process_id), changes, ctx.policy
    )


def _expire(tx: Tx, message_id: int | None) -> None:
    """A message whose receiver is gone is spent, not buffered again (go-bpmn)."""
    if message_id is not None:
        message_store.expire(tx, message_id, tx.now)


def _start(tx: Tx, task: Any, payload: dict[str, Any], ctx: TaskContext) -> WorkState:
    """A message, signal or timer start event starts an instance."""
    definition = event_definitions.get(tx, task.element_id)
    if definition is None:
        return WorkState.CANCELED
    process = process_store.get(tx.conn, definition.process_id)
    correlation_key, message_id, variables, created_by = None, None, None, ctx.engine_id
    if "messageId" in payload:
        message = message_store.get(tx, payload["messageId"])
        if message is None:
            return WorkState.CANCELED
        variables, created_by = message.variables, message.created_by
        if payload.get("expires"):
            message_store.expire(tx, message.id, tx.now)
        else:  # the message stays unexpired until the instance ends: one instance per unique key
            correlation_key, message_id = message.correlation_key, message.id
    elif "signalId" in payload:
        variables = signal_store.variables_of(tx, payload["signalId"])
    elif "timer" in payload:
        if definition.is_suspended:
            return WorkState.DONE  # a newer version replaced this timer
        _next_tick(tx, task, payload)
    instance_id = create_started_instance(
        tx,
        process,
        definition.bpmn_element_id,
        ctx,
        correlation_key=correlation_key,
        message_id=message_id,
        variables=variables,
        created_by=created_by,
    )
    task_store.set_process_instance(tx, task.partition, task.id, instance_id)
    return WorkState.DONE


def _next_tick(tx: Tx, task: Any, payload: dict[str, Any]) -> None:
    """Schedule a cycle's next tick after now (ticks missed while the engine was down fire once)."""
    timer = timers.from_dict(payload["timer"])
    if timer is None:
        return
    following = timers.next_due(timer, tx.now, payload.get("remaining"))
    if following is None:
        return
    steps.insert_tasks(
        tx,
        [
            {
                "partition": tx.today,
                "element_id": task.element_id,
                "process_id": task.process_id,
                "bpmn_element_id": task.bpmn_element_id,
                "type": str(TaskKind.TRIGGER_EVENT),
                "serialized_task": {"timer": payload["timer"], "remaining": following.remaining},
                "due_at": following.due_at,
            }
        ],
    )


def create_started_instance(
    tx: Tx,
    process: Any,
    start_event: str,
    ctx: TaskContext,
    *,
    correlation_key: str | None,
    message_id: int | None,
    variables: list[dict[str, Any]] | None,
    created_by: str,
) -> int:
    """Create an instance at a start event and start it now (or queue it, with parallelism)."""
    partition = tx.today
    row = instance_store.create(
        tx,
        partition,
        process,
        created_by=created_by,
        correlation_key=correlation_key,
        message_id=message_id,
        start_event=start_event,
    )
    instance_id = row.id
    if variables:
        changes = [
            VariableChange(
                v["name"], VariableData(v["data"]["encoding"], v["data"]["value"], bool(v["data"].get("encrypted")))
            )
            for v in variables
            if v.get("data") is not None
        ]
        variable_store.apply(tx, variable_store.Scope(partition, instance_id, process.id), changes, ctx.policy)
    if queue.admit(tx, row):
        row = instance_store.get(tx, partition, instance_id, for_update=True)
        step = steps.begin(tx, row, ctx.policy.keyring)
        step.worker_id = created_by
        execution.start_instance(step, start_event)
        lifecycle.finish(tx, step, ctx.policy)
    return instance_id


def terminate_instance(tx: Tx, task: Any, instance: InstanceRow | None, ctx: TaskContext) -> WorkState:
    """End a child instance whose call activity ended (TERMINATED, or CANCELED with its parent)."""
    if instance is None or instance.ended_at is not None:
        return WorkState.CANCELED
    state = InstanceState((task.serialized_task or {}).get("state", "TERMINATED"))
    step = steps.begin(tx, instance, ctx.policy.keyring)
    scope = step.process_scope()
    if scope is not None:
        tokens.terminate(step, scope, state)
    tokens.end_instance(step, state)
    lifecycle.finish(tx, step, ctx.policy)
    task_store.cancel_open_of_instance(tx, instance.partition, instance.id, except_id=task.id)
    return WorkState.DONE


def dequeue(tx: Tx, task: Any, instance: InstanceRow | None, ctx: TaskContext) -> WorkState:
    """Start queued instances after a new version raised the parallelism."""
    bpmn_process_id = (task.serialized_task or {}).get("bpmnProcessId")
    if not bpmn_process_id:
        return WorkState.CANCELED
    return WorkState.DONE if queue.dequeue(tx, bpmn_process_id) else WorkState.CANCELED


def timer_start_task(
    tx: Tx, process: Any, element_id: int, bpmn_element_id: str, timer: Timer, created_by: str
) -> dict[str, Any]:
    """The first TRIGGER_EVENT task of a timer start event."""
    first = timers.first_due(timer, tx.now)
    return {
        "partition": tx.today,
        "element_id": element_id,
        "process_id": process["id"],
        "bpmn_element_id": bpmn_element_id,
        "type": str(TaskKind.TRIGGER_EVENT),
        "serialized_task": {"timer": timers.as_dict(timer), "remaining": first.remaining},
        "due_at": first.due_at,
        "created_by": created_by,
    }
