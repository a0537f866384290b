"""Reading user tasks: by instance, state, assignee, candidate user and candidate group."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import sqlalchemy as sa

from engine.queries.criteria import where_equal, where_in
from engine.queries.paging import Page, Results
from engine.queries.records import UserTask, tags_from_json
from engine.store import tables

ut = tables.user_task


def to_user_task(row: sa.Row) -> UserTask:
    """A user task row as a result value."""
    return UserTask(
        partition=row.partition,
        id=row.id,
        element_id=row.element_id,
        element_instance_id=row.element_instance_id,
        process_id=row.process_id,
        process_instance_id=row.process_instance_id,
        bpmn_element_id=row.bpmn_element_id,
        revision=row.revision,
        state=row.state,
        created_at=row.created_at,
        created_by=row.created_by,
        updated_at=row.updated_at,
        updated_by=row.updated_by,
        name=row.name,
        correlation_key=row.correlation_key,
        tags=tags_from_json(row.tags),
        assignee=row.assignee,
        candidate_users=list(row.candidate_users or []),
        candidate_groups=list(row.candidate_groups or []),
        due_date=row.due_date,
        follow_up_date=row.follow_up_date,
        priority=row.priority,
        ended_at=row.ended_at,
    )


def query_user_tasks(
    conn: sa.Connection,
    *,
    partition: date | None = None,
    id: int | None = None,
    process_instance_id: int | None = None,
    bpmn_element_id: str | None = None,
    states: Sequence[str] = (),
    assignee: str | None = None,
    candidate_user: str | None = None,
    candidate_groups: Sequence[str] = (),
    unassigned: bool | None = None,
    tags: Mapping[str, str] | None = None,
    descending: bool = False,
    page: Page = Page(),
) -> Results[UserTask]:
    """User tasks matching every given criterion, oldest first (newest first when ``descending``).

    ``candidate_user`` matches tasks that list the user as a candidate; ``candidate_groups``
    tasks that list any of the groups.
    """
    direction = sa.desc if descending else sa.asc
    query = where_equal(
        sa.select(ut).order_by(direction(ut.c.partition), direction(ut.c.id)),
        (ut.c.partition, partition),
        (ut.c.id, id),
        (ut.c.process_instance_id, process_instance_id),
        (ut.c.bpmn_element_id, bpmn_element_id),
        (ut.c.assignee, assignee),
    )
    query = where_in(query, ut.c.state, states)
    if candidate_user is not None:
        query = query.where(ut.c.candidate_users.any(candidate_user))
    if candidate_groups:
        query = query.where(ut.c.candidate_groups.overlap(sa.cast(list(candidate_groups), ut.c.candidate_groups.type)))
    if unassigned is not None:
        query = query.where(ut.c.assignee.is_(None) if unassigned else ut.c.assignee.isnot(None))
    if tags:
        query = query.where(ut.c.tags.contains(dict(tags)))
    return page.fetch(conn, query, to_user_task)
