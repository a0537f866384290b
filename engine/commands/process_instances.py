"""Process instances: create (and start), suspend, resume, cancel."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from engine.commands import lifecycle
from engine.errors import EngineError, ErrorKind, conflict, not_found
from engine.queries.process_instances import to_process_instance
from engine.queries.records import ProcessInstance
from engine.runtime import execution
from engine.states import InstanceState, TaskKind
from engine.store import element_instances, steps
from engine.store import engine_tasks as task_store
from engine.store import process_instances as instance_store
from engine.store import processes as process_store
from engine.store import variables as variable_store
from engine.store.db import Tx
from engine.store.process_instances import InstanceRow
from engine.variables import Policy, VariableChange
from engine.variables import check as check_variables


@dataclass(frozen=True)
class CreateProcessInstance:
    """``POST /process-instances``."""

    bpmn_process_id: str
    worker_id: str
    version: str | None = None  # None: the latest version
    correlation_key: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    variables: Sequence[VariableChange] = ()
    # False: create the instance in state CREATED and start it later (PATCH …/start).
    start: bool = True


def create_process_instance(tx: Tx, cmd: CreateProcessInstance, policy: Policy) -> ProcessInstance:
    """Create an instance and, unless told otherwise, a START_PROCESS_INSTANCE task for it.

    The instance, its variables and the task are written in this transaction; the task is
    published after commit and a Celery worker starts the instance.
    """
    check_variables(cmd.variables, "#/variables", policy)
    if cmd.version is None:
        process = process_store.find_latest(tx.conn, cmd.bpmn_process_id)
        missing = f"process {cmd.bpmn_process_id} could not be found"
    else:
        process = process_store.find(tx.conn, cmd.bpmn_process_id, cmd.version)
        missing = f"process {cmd.bpmn_process_id}:{cmd.version} could not be found"
    if process is None:
        raise not_found("failed to create process instance", missing)
    deployed = process_store.load_deployed(tx.conn, process.id)
    if deployed.model.none_start_event(deployed.model.id) is None:
        raise EngineError(
            ErrorKind.VALIDATION,
            "failed to create process instance",
            f"process {cmd.bpmn_process_id}:{process.version} has no none start event; "
            "it is started by its message, signal or timer start events",
        )
    partition = tx.today
    row = instance_store.create(
        tx, partition, process, created_by=cmd.worker_id, correlation_key=cmd.correlation_key, tags=cmd.tags
    )
    instance_id = row.id
    scope = variable_store.Scope(partition, instance_id, process.id)
    variable_store.apply(tx, scope, cmd.variables, policy)
    if cmd.start:
        schedule_start(tx, partition, instance_id, process.id)
    return to_process_instance(row)


def schedule_start(tx: Tx, partition: date, instance_id: int, process_id: int) -> None:
    """Add the START_PROCESS_INSTANCE task of a created instance."""
    steps.insert_tasks(
        tx,
        [
            {
                "partition": partition,
                "process_id": process_id,
                "process_instance_id": instance_id,
                "type": str(TaskKind.START_PROCESS_INSTANCE),
                "due_at": tx.now,
            }
        ],
    )


def start_process_instance(tx: Tx, partition: date, instance_id: int) -> ProcessInstance:
    """``PATCH /process-instances/{p}/{id}/start``: start an instance created with ``start: false``."""
    row = steps.lock_instance(tx, partition, instance_id, title="failed to start process instance")
    if row.state != InstanceState.CREATED:
        raise conflict(
            "failed to start process instance",
            f"process instance {partition.isoformat()}/{instance_id} is {row.state}, not CREATED",
        )
    pending = task_store.count_open_of_type(tx, partition, instance_id, str(TaskKind.START_PROCESS_INSTANCE))
    if not pending:
        schedule_start(tx, partition, instance_id, row.process_id)
    return to_process_instance(row)


def suspend_process_instance(tx: Tx, partition: date, instance_id: int, worker_id: str) -> ProcessInstance:
    """Suspend a started instance: its jobs cannot be locked and its tasks wait."""
    row = steps.lock_instance(tx, partition, instance_id, title="failed to suspend process instance")
    if row.state != InstanceState.STARTED:
        raise conflict(
            "failed to suspend process instance",
            f"process instance {partition.isoformat()}/{instance_id} is not in state STARTED, but {row.state}",
        )
    return _set_state(tx, row, InstanceState.SUSPENDED)


def resume_process_instance(tx: Tx, partition: date, instance_id: int, worker_id: str) -> ProcessInstance:
    """Resume a suspended instance: its due tasks are published again and its jobs lockable."""
    row = steps.lock_instance(tx, partition, instance_id, title="failed to resume process instance")
    if row.state != InstanceState.SUSPENDED:
        raise conflict(
            "failed to resume process instance",
            f"process instance {partition.isoformat()}/{instance_id} is not in state SUSPENDED, but {row.state}",
        )
    result = _set_state(tx, row, InstanceState.STARTED)
    tx.new_tasks.extend(task_store.dispatch_due_of_instance(tx, partition, instance_id))
    tx.jobs_created = True
    return result


def _set_state(tx: Tx, row: InstanceRow, state: InstanceState) -> ProcessInstance:
    """Set the state of an instance and of its open process scope."""
    element_instances.set_open_scope_state(tx, row.partition, row.id, state)
    return to_process_instance(instance_store.set_state(tx, row.partition, row.id, state))


def cancel_process_instance(
    tx: Tx, partition: date, instance_id: int, worker_id: str, reason: str | None, policy: Policy
) -> ProcessInstance:
    """End an instance as CANCELED with its open jobs, tasks, user tasks and subscriptions."""
    row = steps.lock_instance(tx, partition, instance_id, title="failed to cancel process instance")
    if row.state in (InstanceState.COMPLETED, InstanceState.CANCELED, InstanceState.TERMINATED):
        raise conflict(
            "failed to cancel process instance",
            f"process instance {partition.isoformat()}/{instance_id} has already ended ({row.state})",
        )
    step = steps.begin(tx, row, policy.keyring)
    step.worker_id = worker_id
    execution.cancel_instance(step, reason)
    lifecycle.finish(tx, step, policy)
    # Work not tied to an element instance, e.g. a pending start.
    task_store.cancel_open_of_instance(tx, partition, instance_id)
    return to_process_instance(instance_store.get(tx, partition, instance_id))
