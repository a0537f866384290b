"""Reading incidents."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from engine.queries.criteria import where_equal
from engine.queries.paging import Page, Results
from engine.queries.records import Incident
from engine.store import tables

incident = tables.incident
ei = tables.element_instance


def to_incident(row: sa.Row) -> Incident:
    """An incident row as a result value."""
    mapping = row._mapping
    return Incident(
        partition=row.partition,
        id=row.id,
        created_at=row.created_at,
        created_by=row.created_by,
        element_id=row.element_id,
        element_instance_id=row.element_instance_id,
        job_id=row.job_id,
        task_id=row.task_id,
        process_id=row.process_id,
        process_instance_id=row.process_instance_id,
        bpmn_element_id=mapping.get("bpmn_element_id"),
        error=row.error,
        resolved_at=row.resolved_at,
        resolved_by=row.resolved_by,
    )


def query_incidents(
    conn: sa.Connection,
    *,
    partition: date | None = None,
    id: int | None = None,
    job_id: int | None = None,
    task_id: int | None = None,
    process_instance_id: int | None = None,
    resolved: bool | None = None,
    descending: bool = False,
    page: Page = Page(),
) -> Results[Incident]:
    """Incidents matching every given criterion, oldest first (newest first when ``descending``)."""
    direction = sa.desc if descending else sa.asc
    query = (
        sa.select(incident, ei.c.bpmn_element_id)
        .select_from(
            incident.outerjoin(
                ei, sa.and_(ei.c.partition == incident.c.partition, ei.c.id == incident.c.element_instance_id)
            )
        )
        .order_by(direction(incident.c.partition), direction(incident.c.id))
    )
    query = where_equal(
        query,
        (incident.c.partition, partition),
        (incident.c.id, id),
        (incident.c.job_id, job_id),
        (incident.c.task_id, task_id),
        (incident.c.process_instance_id, process_instance_id),
    )
    if resolved is not None:
        query = query.where(incident.c.resolved_at.isnot(None) if resolved else incident.c.resolved_at.is_(None))
    return page.fetch(conn, query, to_incident)
