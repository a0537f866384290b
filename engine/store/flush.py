"""Writing a step back: every change of a :class:`Step` in one statement (``batch.Batch``).

A step's writes — new and changed element instances, trace events, jobs, tasks, subscriptions,
incidents, user tasks, canceled work of ended elements, the instance row — go to PostgreSQL as
the data-modifying CTEs of one statement, together with the writes the command left for it
(``Tx.deferred``: the job it completes) and the guarded update of the task it runs
(``Tx.guard``). New element instances take ids the lock query fetched ahead (``Step.id_pool``),
so a typical step is one round trip.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from engine.runtime.instances import ElementInstance
from engine.runtime.step import Step
from engine.runtime.work import Work, open_work
from engine.states import InstanceState, WorkState
from engine.store import messages, partitions, tables
from engine.store.batch import Batch, Write, encode_rows, insert
from engine.store.db import Tx
from engine.store.steps import insert_tasks

pi_t = tables.process_instance
ei_t = tables.element_instance
_job, _task, _user_task = tables.job, tables.task, tables.user_task


def flush_step(tx: Tx, step: Step) -> None:
    """Write every change of a step."""
    instance = step.instance
    partition = instance.partition
    _assign_ids(tx, step)
    out = step.output
    batch = Batch(guard=tx.guard)
    tx.guard = None
    for write in tx.deferred:
        batch.add(write)
    tx.deferred.clear()
    batch.add(insert(ei_t, [_element_instance_row(step, ei) for ei in step.element_instances if ei.is_new]))
    batch.add(_update_element_instances(partition, [ei for ei in step.element_instances if not ei.is_new and ei.dirty]))
    batch.add(insert(tables.event, [_event_row(step, ei, state) for ei, state in out.events]))
    _cancel_work(tx, batch, partition, out.ended_with_work)
    batch.add(_insert_with_ids(tables.job, partition, _job_rows(step)))
    task_rows = [_task_row(step, t) for t in out.tasks if t.element_instance is None or not t.element_instance.is_ended]
    message_rows, signal_rows = _subscription_rows(tx, step, task_rows)
    batch.add(_insert_with_ids(tables.message_subscription, partition, message_rows))
    batch.add(_insert_with_ids(tables.signal_subscription, partition, signal_rows))
    if task_rows:
        for row in task_rows:
            row["dispatched_at"] = tx.now if row["due_at"] <= tx.now else None
        batch.tasks = _insert_with_ids(
            tables.task, partition, task_rows, returning=("partition", "id", "type", "due_at")
        )
    batch.add(_insert_with_ids(tables.incident, partition, _incident_rows(step)))
    batch.add(_insert_with_ids(tables.user_task, partition, _user_task_rows(step)))
    if instance.dirty:
        batch.add(
            Write(
                "process_instance:update",
                _UPDATE_INSTANCE,
                {
                    "pi_partition": partition,
                    "pi_id": instance.id,
                    "pi_state": str(instance.state),
                    "pi_started_at": instance.started_at,
                    "pi_ended_at": instance.ended_at,
                    "pi_ended_by": instance.ended_by,
                    "pi_end_reason": instance.end_reason,
                },
            )
        )
    refs, guarded = batch.execute(tx.conn)
    tx.new_tasks.extend(ref for ref in refs if ref.due_at <= tx.now)
    if batch.guard is not None:
        tx.guard_result = guarded


def _assign_ids(tx: Tx, step: Step) -> None:
    """Ids for new element instances: prefetched ones first, then from the sequence."""
    new = [ei for ei in step.element_instances if ei.is_new]
    if not new:
        return
    ids = step.id_pool[: len(new)]
    del step.id_pool[: len(new)]
    ids += partitions.next_ids(tx.conn, ei_t, step.instance.partition, len(new) - len(ids))
    for ei, new_id in zip(new, ids, strict=True):
        ei.id = new_id
    for ei in new:
        ei.parent_id = ei.parent.id if ei.parent is not None else None
        ei.prev_id = ei.prev.id if ei.prev is not None else None


def _insert_with_ids(
    table: sa.Table, partition: date, rows: list[dict[str, Any]], returning: tuple[str, ...] = ()
) -> Write | None:
    """Insert rows into a partitioned table, ids from the partition's sequence."""
    return insert(table, rows, sequence=partitions.sequence_name(table, partition), returning=returning)


# --- rows --------------------------------------------------------------------------------------


def _element_instance_row(step: Step, ei: ElementInstance) -> dict[str, Any]:
    instance = step.instance
    return {
        "partition": instance.partition,
        "id": ei.id,
        "parent_id": ei.parent_id,
        "prev_id": ei.prev_id,
        "prev_element_id": ei.prev_element_id,
        "element_id": ei.element_id,
        "process_id": instance.process_id,
        "process_instance_id": instance.id,
        "bpmn_element_id": ei.element.id,
        "bpmn_element_type": str(ei.element.type),
        "state": str(ei.state),
        "context": ei.context,
        "created_at": ei.created_at,
        "created_by": ei.created_by,
        "started_at": ei.started_at,
        "ended_at": ei.ended_at,
    }


def _event_row(step: Step, ei: ElementInstance, state: InstanceState) -> dict[str, Any]:
    """A trace row (its id comes from the table's default)."""
    instance = step.instance
    return {
        "partition": instance.partition,
        "process_instance_id": instance.id,
        "element_instance_id": ei.id,
        "element_id": ei.element_id,
        "bpmn_element_id": ei.element.id,
        "bpmn_element_type": str(ei.element.type),
        "state": str(state),
        "time": step.now,
        "created_by": step.worker_id,
    }


def _task_row(step: Step, t: Any) -> dict[str, Any]:
    instance = step.instance
    ei = t.element_instance
    return {
        "partition": instance.partition,
        "element_id": ei.element_id if ei else None,
        "element_instance_id": ei.id if ei else None,
        "process_id": instance.process_id,
        "process_instance_id": instance.id,
        "bpmn_element_id": ei.element.id if ei else None,
        "type": str(t.kind),
        "serialized_task": t.payload,
        "due_at": t.due_at,
        "retry_count": t.retry_count,
        "state": str(WorkState.CREATED),
        "created_at": step.now,
        "created_by": step.worker_id,
    }


def _incident_rows(step: Step) -> list[dict[str, Any]]:
    instance = step.instance
    return [
        {
            "partition": instance.partition,
            "element_id": i.element_instance.element_id,
            "element_instance_id": i.element_instance.id,
            "job_id": i.job_id,
            "task_id": i.task_id,
            "process_id": instance.process_id,
            "process_instance_id": instance.id,
            "error": i.error,
            "created_at": step.now,
            "created_by": step.worker_id,
        }
        for i in step.output.incidents
    ]


def _job_rows(step: Step) -> list[dict[str, Any]]:
    """New jobs (a trigger on the job table notifies waiting lock requests at commit)."""
    instance = step.instance
    return [
        {
            "partition": instance.partition,
            "element_id": job.element_instance.element_id,
            "element_instance_id": job.element_instance.id,
            "process_id": instance.process_id,
            "process_instance_id": instance.id,
            "bpmn_element_id": job.element_instance.element.id,
            "bpmn_process_id": instance.bpmn_process_id,
            "type": str(job.kind),
            "job_type": job.job_type,
            "retries": job.retries,
            "correlation_key": instance.correlation_key,
            "state": str(WorkState.CREATED),
            "retry_count": job.retry_count,
            "created_at": step.now,
            "created_by": step.worker_id,
            "due_at": job.due_at,
        }
        for job in step.output.jobs
        if not job.element_instance.is_ended
    ]


def _user_task_rows(step: Step) -> list[dict[str, Any]]:
    instance = step.instance
    return [
        {
            "partition": instance.partition,
            "element_id": u.element_instance.element_id,
            "element_instance_id": u.element_instance.id,
            "process_id": instance.process_id,
            "process_instance_id": instance.id,
            "bpmn_element_id": u.element_instance.element.id,
            "name": u.name,
            "correlation_key": instance.correlation_key,
            "revision": 1,
            "state": str(InstanceState.STARTED),
            "assignee": u.assignee,
            "candidate_users": list(u.candidate_users),
            "candidate_groups": list(u.candidate_groups),
            "due_date": u.due_date,
            "follow_up_date": u.follow_up_date,
            "priority": u.priority,
            "created_at": step.now,
            "created_by": step.worker_id,
            "updated_at": step.now,
            "updated_by": step.worker_id,
        }
        for u in step.output.user_tasks
        if not u.element_instance.is_ended
    ]


def _subscription_rows(
    tx: Tx, step: Step, task_rows: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Rows of new subscriptions; a message subscription whose message is already buffered is
    correlated at once instead (a TRIGGER_EVENT task added to ``task_rows``)."""
    instance = step.instance
    rows: dict[str, list[dict[str, Any]]] = {"message": [], "signal": []}
    for s in step.output.subscriptions:
        ei = s.element_instance
        if ei.is_ended:
            continue
        row = {
            "partition": instance.partition,
            "element_id": ei.element_id,
            "element_instance_id": ei.id,
            "process_id": instance.process_id,
            "process_instance_id": instance.id,
            "bpmn_element_id": ei.element.id,
            "name": s.name,
            "created_at": step.now,
            "created_by": step.worker_id,
        }
        if s.kind == "message":
            assert s.correlation_key is not None
            messages.lock(tx, s.name, s.correlation_key)
            buffered = messages.take_buffered(tx, s.name, s.correlation_key)
            if buffered is not None:
                trigger = messages.trigger_task(instance.partition, _Subscriber(row), buffered.id, step.now)
                task_rows.append(
                    {
                        **trigger,
                        "retry_count": 0,
                        "state": str(WorkState.CREATED),
                        "created_at": step.now,
                        "created_by": step.worker_id,
                    }
                )
                continue
            row["correlation_key"] = s.correlation_key
        rows[s.kind].append(row)
    return rows["message"], rows["signal"]


class _Subscriber:
    """A subscription row that was never written, seen like a stored one."""

    def __init__(self, row: dict[str, Any]) -> None:
        self.__dict__.update(row)


# --- updates -----------------------------------------------------------------------------------


_changed = (
    sa.func.jsonb_to_recordset(sa.cast(sa.bindparam("ei_changed", type_=sa.String), JSONB))
    .table_valued(
        sa.column("id", sa.Integer),
        sa.column("state", sa.String),
        sa.column("started_at", tables.TS),
        sa.column("ended_at", tables.TS),
        sa.column("context", JSONB),
        name="changed",
    )
    .render_derived(with_types=True)
)
_UPDATE_ELEMENT_INSTANCES = (
    sa.update(ei_t)
    .where(ei_t.c.partition == sa.bindparam("ei_partition"), ei_t.c.id == _changed.c.id)
    .values(
        state=_changed.c.state,
        started_at=_changed.c.started_at,
        ended_at=_changed.c.ended_at,
        context=_changed.c.context,
    )
)


def _update_element_instances(partition: date, changed: list[ElementInstance]) -> Write | None:
    """One UPDATE … FROM jsonb_to_recordset(…) for every changed element instance."""
    if not changed:
        return None
    rows = [
        {
            "id": ei.id,
            "state": str(ei.state),
            "started_at": ei.started_at,
            "ended_at": ei.ended_at,
            "context": ei.context,
        }
        for ei in changed
    ]
    return Write(
        "element_instance:update",
        _UPDATE_ELEMENT_INSTANCES,
        {"ei_partition": partition, "ei_changed": encode_rows(rows)},
    )


_UPDATE_INSTANCE = (
    sa.update(pi_t)
    .where(pi_t.c.partition == sa.bindparam("pi_partition"), pi_t.c.id == sa.bindparam("pi_id"))
    .values(
        state=sa.bindparam("pi_state"),
        started_at=sa.bindparam("pi_started_at"),
        ended_at=sa.bindparam("pi_ended_at"),
        ended_by=sa.bindparam("pi_ended_by"),
        end_reason=sa.bindparam("pi_end_reason"),
    )
)


# --- work of ended element instances -----------------------------------------------------------


def _cancel_work(tx: Tx, batch: Batch, partition: date, ended: list[ElementInstance]) -> None:
    """Cancel the open jobs, timer tasks and user tasks and drop the subscriptions of element
    instances that ended early; one statement per kind of work that can match. The task or job
    the transaction itself finishes is left out."""
    by_kind: dict[Work, list[int]] = {}
    for ei in ended:
        if ei.id is None:
            continue
        for kind in open_work(ei.element.type):
            by_kind.setdefault(kind, []).append(ei.id)
    running_task = tx.running_task[1] if tx.running_task and tx.running_task[0] == partition else 0
    running_job = tx.running_job[1] if tx.running_job and tx.running_job[0] == partition else 0
    for kind, ids in by_kind.items():
        if kind is Work.CHILD_INSTANCE:
            _terminate_children(tx, partition, ended, ids)
            continue
        prefix = _CANCEL[kind][0]
        params: dict[str, Any] = {f"{prefix}_partition": partition, f"{prefix}_ids": ids}
        if kind is Work.JOB:
            params |= {"cj_now": tx.now, "cj_running": running_job}
        elif kind is Work.TASK:
            params |= {"ct_now": tx.now, "ct_running": running_task}
        elif kind is Work.USER_TASK:
            params |= {"cu_now": tx.now, "cu_by": tx.worker_id}
        batch.add(Write(f"cancel:{kind}", _CANCEL[kind][1], params))


def _terminate_children(tx: Tx, partition: date, ended: list[ElementInstance], ids: list[int]) -> None:
    """Child instances of ended call activities end too, each by a TERMINATE_PROCESS_INSTANCE task."""
    canceled = {ei.id for ei in ended if ei.state is InstanceState.CANCELED}
    children = tx.conn.execute(
        sa.select(pi_t.c.id, pi_t.c.process_id, pi_t.c.parent_element_instance_id).where(
            pi_t.c.partition == partition,
            pi_t.c.parent_element_instance_id.in_(ids),
            pi_t.c.ended_at.is_(None),
        )
    ).all()
    insert_tasks(
        tx,
        [
            {
                "partition": partition,
                "process_id": child.process_id,
                "process_instance_id": child.id,
                "type": "TERMINATE_PROCESS_INSTANCE",
                "serialized_task": {
                    "state": "CANCELED" if child.parent_element_instance_id in canceled else "TERMINATED"
                },
                "due_at": tx.now,
            }
            for child in children
        ],
    )


def _ids(name: str) -> sa.ColumnElement[Any]:
    return sa.any_(sa.bindparam(name, type_=ARRAY(sa.Integer)))


def _drop(table: sa.Table, prefix: str) -> sa.Delete:
    return sa.delete(table).where(
        table.c.partition == sa.bindparam(f"{prefix}_partition"), table.c.element_instance_id == _ids(f"{prefix}_ids")
    )


# Per kind of work: (parameter prefix, statement).
_CANCEL: dict[Work, tuple[str, sa.Executable]] = {
    Work.JOB: (
        "cj",
        sa.update(_job)
        .where(
            _job.c.partition == sa.bindparam("cj_partition"),
            _job.c.element_instance_id == _ids("cj_ids"),
            _job.c.state.in_([str(WorkState.CREATED), str(WorkState.LOCKED)]),
            _job.c.id != sa.bindparam("cj_running"),
        )
        .values(state=str(WorkState.CANCELED), completed_at=sa.bindparam("cj_now")),
    ),
    Work.TASK: (
        "ct",
        sa.update(_task)
        .where(
            _task.c.partition == sa.bindparam("ct_partition"),
            _task.c.element_instance_id == _ids("ct_ids"),
            _task.c.state == str(WorkState.CREATED),
            _task.c.id != sa.bindparam("ct_running"),
        )
        .values(state=str(WorkState.CANCELED), completed_at=sa.bindparam("ct_now")),
    ),
    Work.USER_TASK: (
        "cu",
        sa.update(_user_task)
        .where(
            _user_task.c.partition == sa.bindparam("cu_partition"),
            _user_task.c.element_instance_id == _ids("cu_ids"),
            _user_task.c.state == str(InstanceState.STARTED),
        )
        .values(
            state=str(InstanceState.CANCELED),
            ended_at=sa.bindparam("cu_now"),
            updated_at=sa.bindparam("cu_now"),
            updated_by=sa.bindparam("cu_by"),
            revision=_user_task.c.revision + 1,
        ),
    ),
    Work.MESSAGE_SUBSCRIPTION: ("dm", _drop(tables.message_subscription, "dm")),
    Work.SIGNAL_SUBSCRIPTION: ("ds", _drop(tables.signal_subscription, "ds")),
}
