"""Process instances: create (and start), suspend, resume, cancel."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from engine.commands import lifecycle
from engine.errors import EngineError, ErrorKind, conflict, not_found
from engine.queries.process_instances import to_process_instance
from engine.queries.records import ProcessInstance
from engine.runtime import execution
from engine.states import InstanceState, TaskKind, WorkState
from engine.store import partitions, steps, tables
from engine.store import processes as process_store
from engine.store import variables as variable_store
from engine.store.db import TaskRef, Tx
from engine.variables import Policy, VariableChange
from engine.variables import check as check_variables

pi_t = tables.process_instance


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
    partitions.ensure(tx.conn, partition, tx.now)
    instance_id = partitions.next_ids(tx.conn, pi_t, partition, 1)[0]
    row = tx.conn.execute(
        sa.insert(pi_t)
        .values(
            partition=partition,
            id=instance_id,
            process_id=process.id,
            bpmn_process_id=process.bpmn_process_id,
            version=process.version,
            correlation_key=cmd.correlation_key,
            tags=dict(cmd.tags) or None,
            state=str(InstanceState.CREATED),
            created_at=tx.now,
            created_by=cmd.worker_id,
        )
        .returning(*pi_t.c)
    ).one()
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
    pending = tx.conn.execute(
        sa.select(sa.func.count())
        .select_from(tables.task)
        .where(
            tables.task.c.partition == partition,
            tables.task.c.process_instance_id == instance_id,
            tables.task.c.type == str(TaskKind.START_PROCESS_INSTANCE),
            tables.task.c.state == str(WorkState.CREATED),
        )
    ).scalar_one()
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
    t = tables.task
    for task in tx.conn.execute(
        sa.update(t)
        .where(
            t.c.partition == partition,
            t.c.process_instance_id == instance_id,
            t.c.state == str(WorkState.CREATED),
            t.c.due_at <= tx.now,
        )
        .values(dispatched_at=tx.now)
        .returning(t.c.id, t.c.type, t.c.due_at)
    ):
        tx.new_tasks.append(TaskRef(partition, task.id, task.type, task.due_at))
    tx.jobs_created = True
    return result


def _set_state(tx: Tx, row: sa.Row, state: InstanceState) -> ProcessInstance:
    ei = tables.element_instance
    tx.conn.execute(
        sa.update(ei)
        .where(
            ei.c.partition == row.partition,
            ei.c.process_instance_id == row.id,
            ei.c.parent_id.is_(None),
            ei.c.ended_at.is_(None),
        )
        .values(state=str(state))
    )
    updated = tx.conn.execute(
        sa.update(pi_t)
        .where(pi_t.c.partition == row.partition, pi_t.c.id == row.id)
        .values(state=str(state))
        .returning(*pi_t.c)
    ).one()
    return to_process_instance(updated)


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
    t = tables.task
    tx.conn.execute(  # work not tied to an element instance, e.g. a pending start
        sa.update(t)
        .where(t.c.partition == partition, t.c.process_instance_id == instance_id, t.c.state == str(WorkState.CREATED))
        .values(state=str(WorkState.CANCELED), completed_at=tx.now)
    )
    return to_process_instance(
        tx.conn.execute(sa.select(pi_t).where(pi_t.c.partition == partition, pi_t.c.id == instance_id)).one()
    )
