"""What the ONEWEB facade reads from the engine: open tasks of an instance or of people, with the
BPMN process id of each task's process, and the variables a task sees; and the one thing it
drops without a transaction, this API process's cache of process graphs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from api.context import baton
from engine.commands.process_cache import forget_cached_processes
from engine.queries.paging import Page
from engine.queries.process_instances import query_process_instances
from engine.queries.processes import query_processes
from engine.queries.records import UserTask
from engine.queries.user_task_work import query_worklist, user_task_variables
from engine.queries.user_tasks import query_user_tasks
from engine.variables import VariableData

OPEN = ["STARTED"]


def _process_names(conn: Any, tasks: Sequence[UserTask]) -> dict[int, str]:
    """The BPMN process id of each task's process (one query per process, in task order)."""
    names: dict[int, str] = {}
    for task in tasks:
        if task.process_id not in names:
            found = query_processes(conn, id=task.process_id)
            names[task.process_id] = found[0].bpmn_process_id if found else ""
    return names


def instance_tasks(day: date, id: int) -> tuple[list[UserTask], dict[int, str]] | None:
    """The open user tasks of an instance and their processes' ids; None for no such instance."""
    with baton().db.engine.connect() as conn:
        if not query_process_instances(conn, partition=day, id=id):
            return None
        found = query_user_tasks(conn, partition=day, process_instance_id=id, states=OPEN)
        return found, _process_names(conn, found)


def worklist(user: str | None, groups: list[str], page: Page) -> tuple[list[UserTask], dict[int, str]]:
    """Open user tasks of a user or of groups, and their processes' ids."""
    with baton().db.engine.connect() as conn:
        found = query_worklist(conn, user=user, groups=groups, page=page, states=OPEN)
        return found, _process_names(conn, found)


def task_variables(day: date, id: int) -> dict[str, VariableData]:
    """Every variable a user task sees (process scope and the task's scopes)."""
    context = baton()
    with context.db.engine.connect() as conn:
        return user_task_variables(conn, day, id, (), context.policy.keyring)


def forget_processes(bpmn_process_id: str | None = None) -> int:
    """Drop cached process graphs of this API process (every process when None)."""
    with baton().db.engine.connect() as conn:
        return forget_cached_processes(conn, bpmn_process_id)
