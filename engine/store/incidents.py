"""Storage of incidents."""

from __future__ import annotations

from datetime import date
from typing import Any, TypeAlias

import sqlalchemy as sa

from engine.store import tables
from engine.store.db import Tx
from engine.store.processes import load_deployed
from engine.store.steps import insert_with_ids, lock_instance_of

incident = tables.incident

# A row of the incident table (columns by name); callers read it, never build it.
IncidentRow: TypeAlias = sa.Row[Any]
# A row of the task table (columns by name).
TaskRow: TypeAlias = sa.Row[Any]


def create(
    tx: Tx,
    partition: date,
    *,
    error: str | None,
    created_by: str,
    job_id: int | None = None,
    task_id: int | None = None,
    element_id: int | None = None,
    element_instance_id: int | None = None,
    process_id: int | None = None,
    process_instance_id: int | None = None,
) -> int:
    """Open an incident; returns its id."""
    rows = insert_with_ids(
        tx.conn,
        incident,
        partition,
        [
            {
                "partition": partition,
                "element_id": element_id,
                "element_instance_id": element_instance_id,
                "job_id": job_id,
                "task_id": task_id,
                "process_id": process_id,
                "process_instance_id": process_instance_id,
                "error": error,
                "created_at": tx.now,
                "created_by": created_by,
            }
        ],
        returning=(incident.c.id,),
    )
    if process_id is not None:
        tx.fact("incident_created", process=load_deployed(tx.conn, process_id).bpmn_process_id)
    return rows[0].id


def process_instance_id_of(tx: Tx, partition: date, id: int) -> IncidentRow | None:
    """The ``process_instance_id`` of an incident (None: the incident does not exist)."""
    return tx.conn.execute(
        sa.select(incident.c.process_instance_id).where(incident.c.partition == partition, incident.c.id == id)
    ).one_or_none()


def lock_instance(tx: Tx, partition: date, id: int, *, title: str) -> None:
    """Lock the process instance an incident belongs to, or NOT_FOUND."""
    lock_instance_of(tx, incident, partition, id, title=title, what="incident")


def get_for_update(tx: Tx, partition: date, id: int) -> IncidentRow | None:
    """An incident row, locked."""
    return tx.conn.execute(
        sa.select(incident).where(incident.c.partition == partition, incident.c.id == id).with_for_update()
    ).one_or_none()


def resolve(tx: Tx, partition: date, id: int, worker_id: str) -> IncidentRow:
    """Mark an incident resolved."""
    return tx.conn.execute(
        sa.update(incident)
        .where(incident.c.partition == partition, incident.c.id == id)
        .values(resolved_at=tx.now, resolved_by=worker_id)
        .returning(*incident.c)
    ).one()


def failed_task(tx: Tx, partition: date, task_id: int) -> TaskRow:
    """The engine task an incident was opened for."""
    task = tables.task
    return tx.conn.execute(sa.select(task).where(task.c.partition == partition, task.c.id == task_id)).one()


def work_ended(tx: Tx, partition: date, process_instance_id: int | None, element_instance_id: int | None) -> bool:
    """True when the incident's process instance or element instance has ended."""
    for table, id in ((tables.process_instance, process_instance_id), (tables.element_instance, element_instance_id)):
        if id is None:
            continue
        ended = tx.conn.execute(
            sa.select(table.c.ended_at).where(table.c.partition == partition, table.c.id == id)
        ).scalar_one_or_none()
        if ended is not None:
            return True
    return False
