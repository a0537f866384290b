"""Storage of jobs: locking with ``FOR UPDATE SKIP LOCKED``, unlocking, retries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, TypeAlias

import sqlalchemy as sa

from engine.states import InstanceState, WorkState
from engine.store import tables
from engine.store.batch import Write
from engine.store.db import Tx
from engine.store.steps import insert_with_ids, lock_instance_of

job = tables.job
pi = tables.process_instance

# A row of the job table (columns by name); callers read it, never build it.
JobRow: TypeAlias = sa.Row[Any]
# A row of the process_instance table, with element instance ids fetched ahead for a step.
InstanceRow: TypeAlias = sa.Row[Any]


def lock(
    tx: Tx,
    *,
    worker_id: str,
    limit: int,
    lock_until: datetime,
    partition: date | None = None,
    id: int | None = None,
    process_ids: Sequence[int] = (),
    process_instance_id: int | None = None,
    bpmn_element_ids: Sequence[str] = (),
    types: Sequence[str] = (),
) -> list[JobRow]:
    """Lock up to ``limit`` due jobs of started instances, oldest due first.

    A job whose lock expired is lockable again; two workers never hold the same job because
    rows are claimed with ``FOR UPDATE SKIP LOCKED`` and the claim is committed at once.
    """
    now = tx.now
    lockable = sa.or_(
        job.c.state == str(WorkState.CREATED),
        sa.and_(job.c.state == str(WorkState.LOCKED), job.c.lock_expires_at <= now),
    )
    candidates = (
        sa.select(job.c.partition, job.c.id)
        .select_from(job.join(pi, sa.and_(pi.c.partition == job.c.partition, pi.c.id == job.c.process_instance_id)))
        .where(lockable, job.c.due_at <= now, pi.c.state == str(InstanceState.STARTED))
    )
    if partition is not None:
        candidates = candidates.where(job.c.partition == partition)
    if id is not None:
        candidates = candidates.where(job.c.id == id)
    if process_ids:
        candidates = candidates.where(job.c.process_id.in_(list(process_ids)))
    if process_instance_id is not None:
        candidates = candidates.where(job.c.process_instance_id == process_instance_id)
    if bpmn_element_ids:
        candidates = candidates.where(job.c.bpmn_element_id.in_(list(bpmn_element_ids)))
    if types:
        candidates = candidates.where(sa.or_(job.c.job_type.in_(list(types)), job.c.type.in_(list(types))))
    claimed = candidates.order_by(job.c.due_at).limit(limit).with_for_update(of=job, skip_locked=True).cte("claimed")
    statement = (
        sa.update(job)
        .where(job.c.partition == claimed.c.partition, job.c.id == claimed.c.id)
        .values(state=str(WorkState.LOCKED), locked_at=now, locked_by=worker_id, lock_expires_at=lock_until)
        .returning(*job.c)
    )
    return sorted(tx.conn.execute(statement), key=lambda row: (row.due_at, row.partition, row.id))


def unlock(tx: Tx, worker_id: str, partition: date | None = None, id: int | None = None) -> int:
    """Release jobs a worker holds but has not completed; returns how many."""
    statement = (
        sa.update(job)
        .where(job.c.state == str(WorkState.LOCKED), job.c.locked_by == worker_id)
        .values(state=str(WorkState.CREATED), locked_at=None, locked_by=None, lock_expires_at=None)
    )
    if partition is not None:
        statement = statement.where(job.c.partition == partition)
    if id is not None:
        statement = statement.where(job.c.id == id)
    count = tx.conn.execute(statement).rowcount
    if count:
        tx.jobs_created = True
    return count


def lock_instance(tx: Tx, partition: date, id: int, *, title: str) -> InstanceRow:
    """Lock the process instance a job belongs to and return its row, or NOT_FOUND."""
    return lock_instance_of(tx, job, partition, id, title=title, what="job")


def get(tx: Tx, partition: date, id: int) -> JobRow:
    """A job row (it must exist)."""
    return tx.conn.execute(sa.select(job).where(job.c.partition == partition, job.c.id == id)).one()


def get_for_update(tx: Tx, partition: date, id: int) -> JobRow | None:
    """A job row, locked (the caller holds its instance's lock already)."""
    return tx.conn.execute(
        sa.select(job).where(job.c.partition == partition, job.c.id == id).with_for_update()
    ).one_or_none()


def finish(tx: Tx, row: JobRow, state: WorkState, error: str | None = None) -> JobRow:
    """Mark a job completed in a final state."""
    return tx.conn.execute(
        sa.update(job)
        .where(job.c.partition == row.partition, job.c.id == row.id)
        .values(state=str(state), completed_at=tx.now, error=error)
        .returning(*job.c)
    ).one()


def finish_later(tx: Tx, row: Any, state: WorkState) -> None:
    """Mark a job completed with the next flush of a step (one round trip less); the flush
    leaves this job out of the open jobs it cancels for ended elements."""
    tx.running_job = (row.partition, row.id)
    tx.deferred.append(
        Write(
            "job:finish",
            _FINISH,
            {"jf_partition": row.partition, "jf_id": row.id, "jf_state": str(state), "jf_now": tx.now},
        )
    )


_FINISH = (
    sa.update(job)
    .where(job.c.partition == sa.bindparam("jf_partition"), job.c.id == sa.bindparam("jf_id"))
    .values(state=sa.bindparam("jf_state"), completed_at=sa.bindparam("jf_now"), error=None)
)


def retry(tx: Tx, row: JobRow, due_at: datetime, retry_count: int, created_by: str) -> None:
    """Open a new job like ``row`` (a retry, or the job of a resolved incident)."""
    insert_with_ids(
        tx.conn,
        job,
        row.partition,
        [
            {
                "partition": row.partition,
                "element_id": row.element_id,
                "element_instance_id": row.element_instance_id,
                "process_id": row.process_id,
                "process_instance_id": row.process_instance_id,
                "bpmn_element_id": row.bpmn_element_id,
                "bpmn_process_id": row.bpmn_process_id,
                "type": row.type,
                "job_type": row.job_type,
                "retries": row.retries,
                "correlation_key": row.correlation_key,
                "state": str(WorkState.CREATED),
                "retry_count": retry_count,
                "created_at": tx.now,
                "created_by": created_by,
                "due_at": due_at,
            }
        ],
    )
