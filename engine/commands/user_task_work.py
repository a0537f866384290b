"""User tasks as people work them: complete a task as its assignee, assign every open task of an
instance at once. Both build on :mod:`engine.commands.user_tasks` and keep its revision locking."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from engine.commands.user_tasks import UpdateUserTask, assign_user_task, update_user_task
from engine.errors import conflict, not_found
from engine.queries.records import UserTask
from engine.states import InstanceState
from engine.store import steps
from engine.store import user_tasks as store
from engine.store.db import Tx
from engine.variables import Policy, VariableChange


def complete_user_task_as(
    tx: Tx,
    partition: date,
    id: int,
    user: str,
    worker_id: str,
    policy: Policy,
    process_variables: Sequence[VariableChange] = (),
    element_variables: Sequence[VariableChange] = (),
) -> UserTask:
    """Complete a user task on behalf of ``user``, who must be its assignee (claim it first).

    The task is read, checked, and completed at the revision read, so an assignment that
    changes in between is a 409 (stale revision), never a completion by the wrong person.
    """
    title = "failed to complete user task"
    where = f"user task {partition.isoformat()}/{id}"
    row = store.assignment(tx, partition, id)
    if row is None:
        raise not_found(title, f"{where} could not be found")
    if row.state != InstanceState.STARTED:
        raise conflict(title, f"{where} is {row.state} and cannot be completed")
    if row.assignee is None:
        raise conflict(title, f"{where} is not claimed; {user} must claim it before completing it")
    if row.assignee != user:
        raise conflict(title, f"{where} is claimed by {row.assignee}; only the assignee can complete it")
    cmd = UpdateUserTask(
        revision=row.revision,
        worker_id=worker_id,
        completed=True,
        element_variables=element_variables,
        process_variables=process_variables,
    )
    return update_user_task(tx, partition, id, cmd, policy)


def assign_process_instance_user_tasks(
    tx: Tx,
    partition: date,
    instance_id: int,
    worker_id: str,
    assignee: str | None = None,
    candidate_users: Sequence[str] | None = None,
    candidate_groups: Sequence[str] | None = None,
) -> list[UserTask]:
    """Assign every open user task of an instance alike (see ``assign_user_task``), in one
    transaction; an ended instance is a 409, one without open tasks yields none."""
    title = "failed to assign user tasks"
    row = steps.lock_instance(tx, partition, instance_id, title=title)
    if row.ended_at is not None:
        raise conflict(title, f"process instance {partition.isoformat()}/{instance_id} has ended ({row.state})")
    return [
        assign_user_task(tx, partition, id, worker_id, assignee, candidate_users, candidate_groups)
        for id in store.open_ids(tx, partition, instance_id)
    ]
