"""Reading engine tasks."""

from __future__ import annotations

import json
from datetime import date

import sqlalchemy as sa

from engine.queries.criteria import where_equal, where_in
from engine.queries.paging import Page
from engine.queries.records import Task
from engine.store import tables

task = tables.task


def to_task(row: sa.Row) -> Task:
    """A task row as a result value (``serializedTask`` as JSON text, as in go-bpmn)."""
    return Task(
        partition=row.partition,
        id=row.id,
        type=row.type,
        state=row.state,
        retry_count=row.retry_count,
        created_at=row.created_at,
        created_by=row.created_by,
        due_at=row.due_at,
        element_id=row.element_id,
        element_instance_id=row.element_instance_id,
        process_id=row.process_id,
        process_instance_id=row.process_instance_id,
        bpmn_element_id=row.bpmn_element_id,
        serialized_task=json.dumps(row.serialized_task) if row.serialized_task is not None else None,
        error=row.error,
        locked_at=row.locked_at,
        locked_by=row.locked_by,
        completed_at=row.completed_at,
    )


def query_tasks(
    conn: sa.Connection,
    *,
    partition: date | None = None,
    id: int | None = None,
    element_id: int | None = None,
    element_instance_id: int | None = None,
    process_id: int | None = None,
    process_instance_id: int | None = None,
    type: str | None = None,
    states: tuple[str, ...] = (),
    page: Page = Page(),
) -> list[Task]:
    """Tasks matching every given criterion, in creation order."""
    query = where_equal(
        sa.select(task).order_by(task.c.partition, task.c.id),
        (task.c.partition, partition),
        (task.c.id, id),
        (task.c.element_id, element_id),
        (task.c.element_instance_id, element_instance_id),
        (task.c.process_id, process_id),
        (task.c.process_instance_id, process_instance_id),
        (task.c.type, type),
    )
    query = where_in(query, task.c.state, states)
    return [to_task(row) for row in conn.execute(page.apply(query))]
