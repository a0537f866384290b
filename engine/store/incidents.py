"""Storage of incidents."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from engine.store import tables
from engine.store.db import Tx
from engine.store.processes import load_deployed
from engine.store.steps import insert_with_ids

incident = tables.incident


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


def get_for_update(tx: Tx, partition: date, id: int) -> sa.Row | None:
    """An incident row, locked."""
    return tx.conn.execute(
        sa.select(incident).where(incident.c.partition == partition, incident.c.id == id).with_for_update()
    ).one_or_none()


def resolve(tx: Tx, partition: date, id: int, worker_id: str) -> sa.Row:
    """Mark an incident resolved."""
    return tx.conn.execute(
        sa.update(incident)
        .where(incident.c.partition == partition, incident.c.id == id)
        .values(resolved_at=tx.now, resolved_by=worker_id)
        .returning(*incident.c)
    ).one()
