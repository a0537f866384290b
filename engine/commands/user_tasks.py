"""User tasks: people complete, claim, unclaim and reassign them; optimistic locking by revision."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from engine.commands import lifecycle
from engine.errors import EngineError, ErrorCause, ErrorKind, conflict
from engine.queries.records import UserTask
from engine.queries.user_tasks import to_user_task
from engine.runtime import execution, throwing, tokens
from engine.states import InstanceState
from engine.store import steps
from engine.store import user_tasks as store
from engine.store import variables as variable_store
from engine.store.db import Tx
from engine.store.user_tasks import UserTaskRow
from engine.variables import Policy, VariableChange
from engine.variables import check as check_variables


@dataclass(frozen=True)
class UpdateUserTask:
    """``PATCH /user-tasks/{partition}/{id}``: change or finish a user task at a revision."""

    revision: int
    worker_id: str
    completed: bool = False
    error_code: str | None = None
    escalation_code: str | None = None
    element_variables: Sequence[VariableChange] = ()
    process_variables: Sequence[VariableChange] = ()
    # Tags to set; a tag with value None is deleted.
    tags: Mapping[str, str | None] = field(default_factory=dict)


def _check_open(row: UserTaskRow, title: str, revision: int | None = None) -> None:
    where = f"user task {row.partition.isoformat()}/{row.id}"
    if row.state != InstanceState.STARTED:
        raise conflict(title, f"{where} is {row.state} and cannot be changed")
    if revision is not None and revision != row.revision:
        raise conflict(title, f"{where} is at revision {row.revision}, not {revision}; read it again")


def update_user_task(tx: Tx, partition: date, id: int, cmd: UpdateUserTask, policy: Policy) -> UserTask:
    """Update a user task; ``completed`` moves the instance on, ``errorCode`` throws a BPMN error
    and ``escalationCode`` an escalation from the task. A stale revision is a 409."""
    title = "failed to update user task"
    if sum(bool(x) for x in (cmd.completed, cmd.error_code, cmd.escalation_code)) > 1:
        raise EngineError(
            ErrorKind.VALIDATION,
            title,
            "give at most one of completed, errorCode and escalationCode",
            [ErrorCause("#", "one_of", "completed, errorCode and escalationCode exclude each other")],
        )
    check_variables(cmd.element_variables, "#/elementVariables", policy)
    check_variables(cmd.process_variables, "#/processVariables", policy)
    row = store.lock(tx, partition, id, title=title)
    _check_open(row, title, cmd.revision)
    scope = variable_store.Scope(partition, row.process_instance_id, row.process_id)
    variable_store.apply(
        tx,
        variable_store.Scope(
            partition, row.process_instance_id, row.process_id, row.element_instance_id, row.element_id
        ),
        cmd.element_variables,
        policy,
        "#/elementVariables",
    )
    variable_store.apply(tx, scope, cmd.process_variables, policy, "#/processVariables")
    tags = dict(row.tags or {})
    for name, value in cmd.tags.items():
        if value is None:
            tags.pop(name, None)
        else:
            tags[name] = value
    values: dict[str, Any] = {"tags": tags or None}
    if cmd.completed or cmd.error_code or cmd.escalation_code:
        values.update(_finish(tx, row, cmd, policy))
    return _save(tx, row, cmd.worker_id, values)


def _finish(tx: Tx, row: UserTaskRow, cmd: UpdateUserTask, policy: Policy) -> dict[str, Any]:
    instance_row = store.instance_of(tx, row)
    if instance_row.state != InstanceState.STARTED:
        raise conflict(
            "failed to update user task",
            f"process instance {row.partition.isoformat()}/{row.process_instance_id} is {instance_row.state}",
        )
    step = steps.begin(tx, instance_row, policy.keyring)
    step.worker_id = cmd.worker_id
    ei = step.find(row.element_instance_id)
    if ei is None:
        raise conflict("failed to update user task", f"the element of user task {row.id} has ended")
    state = InstanceState.COMPLETED
    if cmd.completed:
        tokens.take_all(step, ei)
        execution.run(step)
    else:
        outcome = throwing.throw_from_user_task(step, ei, cmd.error_code, cmd.escalation_code)
        execution.run(step)
        if outcome == "terminated":
            state = InstanceState.TERMINATED
        elif outcome == "continues":  # a non-interrupting escalation: the task stays open
            lifecycle.finish(tx, step, policy)
            return {}
    step.output.ended_with_work = [e for e in step.output.ended_with_work if e is not ei]
    lifecycle.finish(tx, step, policy)
    return {"state": str(state), "ended_at": tx.now}


def _save(tx: Tx, row: UserTaskRow, worker_id: str, values: dict[str, Any]) -> UserTask:
    return to_user_task(store.save(tx, row, worker_id, values))


def claim_user_task(tx: Tx, partition: date, id: int, user: str, worker_id: str) -> UserTask:
    """Make ``user`` the assignee of an unassigned task (409 when someone else holds it)."""
    title = "failed to claim user task"
    row = store.lock(tx, partition, id, title=title)
    _check_open(row, title)
    if row.assignee and row.assignee != user:
        raise conflict(title, f"user task {partition.isoformat()}/{id} is claimed by {row.assignee}")
    return _save(tx, row, worker_id, {"assignee": user})


def unclaim_user_task(tx: Tx, partition: date, id: int, worker_id: str) -> UserTask:
    """Remove the assignee of a task."""
    title = "failed to unclaim user task"
    row = store.lock(tx, partition, id, title=title)
    _check_open(row, title)
    return _save(tx, row, worker_id, {"assignee": None})


def assign_user_task(
    tx: Tx,
    partition: date,
    id: int,
    worker_id: str,
    assignee: str | None = None,
    candidate_users: Sequence[str] | None = None,
    candidate_groups: Sequence[str] | None = None,
) -> UserTask:
    """Set the assignee and/or candidate users and groups of a task (an administrator's move)."""
    title = "failed to assign user task"
    row = store.lock(tx, partition, id, title=title)
    _check_open(row, title)
    values: dict[str, Any] = {"assignee": assignee}
    if candidate_users is not None:
        values["candidate_users"] = list(candidate_users)
    if candidate_groups is not None:
        values["candidate_groups"] = list(candidate_groups)
    return _save(tx, row, worker_id, values)
