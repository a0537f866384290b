"""Engine tasks that move a process instance on: START_PROCESS_INSTANCE, JOIN_PARALLEL_GATEWAY,
CONTINUE_EXECUTION (a job completed by a worker, a child instance completed, an asynchronous
continuation, a re-entry)."""

from __future__ import annotations

from typing import Any

from engine.commands import calls, lifecycle, queue
from engine.commands.engine_tasks.executor import TaskContext
from engine.runtime import continuations, execution, gateways
from engine.runtime import jobs as job_semantics
from engine.states import InstanceState, JobKind, WorkState
from engine.store import steps
from engine.store.db import Tx
from engine.store.process_instances import InstanceRow


def start_instance(tx: Tx, task: Any, instance: InstanceRow | None, ctx: TaskContext) -> WorkState:
    """``START_PROCESS_INSTANCE``: start a created instance, or queue it (parallelism)."""
    if instance is None or instance.state not in (InstanceState.CREATED, InstanceState.QUEUED):
        return WorkState.CANCELED
    if instance.state == InstanceState.CREATED and not queue.admit(tx, instance):
        return WorkState.DONE  # QUEUED: a later START_PROCESS_INSTANCE task starts it
    step = steps.begin(tx, instance, ctx.policy.keyring)
    execution.start_instance(step, instance.start_event)
    lifecycle.finish(tx, step, ctx.policy)
    return WorkState.DONE


def join(tx: Tx, task: Any, instance: InstanceRow | None, ctx: TaskContext) -> WorkState:
    """``JOIN_PARALLEL_GATEWAY``: join the branches that arrived at a parallel gateway."""
    if instance is None or instance.state != InstanceState.STARTED:
        return WorkState.CANCELED
    step = steps.begin(tx, instance, ctx.policy.keyring)
    ei = step.find(task.element_instance_id)
    if ei is None or not gateways.join_parallel(step, ei):
        return WorkState.DONE  # joined by an earlier task, or still waiting for another branch
    execution.run(step)
    lifecycle.finish(tx, step, ctx.policy)
    return WorkState.DONE


def continue_execution(tx: Tx, task: Any, instance: InstanceRow | None, ctx: TaskContext) -> WorkState:
    """``CONTINUE_EXECUTION``: complete a job, take a completed child's variables, enter an element
    that waited for its asynchronous continuation, or re-enter."""
    if instance is None or instance.state != InstanceState.STARTED:
        return WorkState.CANCELED
    step = steps.begin(tx, instance, ctx.policy.keyring)
    ei = step.find(task.element_instance_id)
    if ei is None:
        return WorkState.CANCELED
    payload: dict[str, Any] = task.serialized_task or {}
    action = payload.get("action")
    if action == "complete_job":
        try:
            job_semantics.complete(
                step, ei, JobKind(payload["jobType"]), job_semantics.JobCompletion.from_dict(payload.get("completion"))
            )
        except job_semantics.CompletionError as exc:
            step = steps.begin(tx, instance, ctx.policy.keyring)
            ei = step.find(task.element_instance_id)
            assert ei is not None
            step.add_incident(ei, str(exc))
    elif action == "child_completed":
        calls.child_completed(tx, step, ei, int(payload["child"]), ctx.policy)
    elif action == continuations.ACTION:
        execution.continue_async(step, ei)
    else:
        execution.reenter(step, ei)
    lifecycle.finish(tx, step, ctx.policy)
    return WorkState.DONE
