"""Reading user tasks as a person works them: a worklist, and the variables a task sees."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa

from engine.errors import not_found, validation
from engine.queries.criteria import where_equal, where_in
from engine.queries.paging import Page
from engine.queries.records import UserTask
from engine.queries.user_tasks import to_user_task
from engine.store import tables
from engine.store import variables as variable_store
from engine.variables import Keyring, VariableData

ut = tables.user_task
ei_t = tables.element_instance

OPEN = ("STARTED",)


def query_worklist(
    conn: sa.Connection,
    *,
    user: str | None = None,
    groups: Sequence[str] = (),
    partition: date | None = None,
    process_instance_id: int | None = None,
    states: Sequence[str] = OPEN,
    page: Page = Page(),
) -> list[UserTask]:
    """The user tasks a person may work on, oldest first: assigned to ``user``, or listing
    ``user`` as a candidate user, or listing any of ``groups`` as a candidate group.

    Only open (STARTED) tasks unless ``states`` says otherwise. A task assigned to someone else
    still appears when ``user`` or one of ``groups`` is among its candidates.
    """
    if not user and not groups:
        raise validation("failed to query worklist", "give a user, groups, or both")
    matches = []
    if user:
        matches += [ut.c.assignee == user, sa.literal(user) == sa.any_(ut.c.candidate_users)]
    if groups:
        matches.append(ut.c.candidate_groups.overlap(sa.cast(list(groups), ut.c.candidate_groups.type)))
    query = where_equal(
        sa.select(ut).where(sa.or_(*matches)).order_by(ut.c.partition, ut.c.id),
        (ut.c.partition, partition),
        (ut.c.process_instance_id, process_instance_id),
    )
    query = where_in(query, ut.c.state, states)
    return [to_user_task(row) for row in conn.execute(page.apply(query))]


def user_task_variables(
    conn: sa.Connection, partition: date, id: int, names: Sequence[str], keyring: Keyring
) -> dict[str, VariableData]:
    """Every variable a user task sees: the process scope, then each enclosing element scope,
    then the task's own element scope (inner scopes shadow outer ones). Also for ended tasks."""
    row = conn.execute(
        sa.select(ut.c.process_instance_id, ut.c.element_instance_id).where(ut.c.partition == partition, ut.c.id == id)
    ).one_or_none()
    if row is None:
        raise not_found(
            "failed to get user task variables", f"user task {partition.isoformat()}/{id} could not be found"
        )
    chain: list[int] = []
    current: int | None = row.element_instance_id
    while current is not None:
        chain.append(current)
        current = conn.execute(
            sa.select(ei_t.c.parent_id).where(ei_t.c.partition == partition, ei_t.c.id == current)
        ).scalar()
    scopes: list[int | None] = [None, *reversed(chain)]
    return variable_store.read(conn, partition, row.process_instance_id, scopes, names, keyring)
