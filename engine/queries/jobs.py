"""Reading jobs."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from engine.queries.criteria import where_equal, where_in
from engine.queries.paging import Page, Results
from engine.queries.records import Job
from engine.store import tables

job = tables.job


def to_job(row: sa.Row) -> Job:
    """A job row as a result value."""
    return Job(
        partition=row.partition,
        id=row.id,
        element_id=row.element_id,
        element_instance_id=row.element_instance_id,
        process_id=row.process_id,
        process_instance_id=row.process_instance_id,
        bpmn_element_id=row.bpmn_element_id,
        bpmn_process_id=row.bpmn_process_id,
        type=row.type,
        state=row.state,
        retry_count=row.retry_count,
        created_at=row.created_at,
        created_by=row.created_by,
        due_at=row.due_at,
        job_type=row.job_type,
        retries=row.retries,
        correlation_key=row.correlation_key,
        error=row.error,
        locked_at=row.locked_at,
        locked_by=row.locked_by,
        lock_expires_at=row.lock_expires_at,
        completed_at=row.completed_at,
    )


def query_jobs(
    conn: sa.Connection,
    *,
    partition: date | None = None,
    id: int | None = None,
    element_id: int | None = None,
    element_instance_id: int | None = None,
    process_id: int | None = None,
    process_instance_id: int | None = None,
    states: tuple[str, ...] = (),
    types: tuple[str, ...] = (),
    descending: bool = False,
    page: Page = Page(),
) -> Results[Job]:
    """Jobs matching every given criterion, in creation order (newest first when ``descending``)."""
    direction = sa.desc if descending else sa.asc
    query = where_equal(
        sa.select(job).order_by(direction(job.c.partition), direction(job.c.id)),
        (job.c.partition, partition),
        (job.c.id, id),
        (job.c.element_id, element_id),
        (job.c.element_instance_id, element_instance_id),
        (job.c.process_id, process_id),
        (job.c.process_instance_id, process_instance_id),
    )
    query = where_in(query, job.c.state, states)
    if types:
        query = query.where(sa.or_(job.c.type.in_(list(types)), job.c.job_type.in_(list(types))))
    return page.fetch(conn, query, to_job)
