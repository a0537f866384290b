"""User tasks: ``tasks`` (the list), ``tasks claim|unclaim|assign|complete``."""

from __future__ import annotations

from typing import Any

import click
from rich.markup import escape

from cli.arguments import ADDRESS, chosen_states, list_options, parse_pairs
from cli.rendering import footer, ref, results, styled, table, when
from cli.session import OperatorGroup, Session, api_command

USER_TASK_STATES = ["STARTED", "COMPLETED", "CANCELED", "TERMINATED"]
OPEN_USER_TASK_STATES = ["STARTED"]


@click.group(name="tasks", cls=OperatorGroup, invoke_without_command=True)
@click.option("--assignee", help="only tasks assigned to this user")
@click.option("--candidate-user", help="only tasks this user may claim")
@click.option("--candidate-group", help="only tasks this group may claim")
@click.option(
    "--state",
    "states",
    multiple=True,
    type=click.Choice(USER_TASK_STATES, case_sensitive=False),
    help="only user tasks in this state (repeatable)",
)
@click.option("--instance", type=ADDRESS, help="only tasks of this process instance")
@list_options("user tasks", "STARTED")
@api_command
def tasks_group(
    session: Session,
    assignee: str | None,
    candidate_user: str | None,
    candidate_group: str | None,
    states: tuple[str, ...],
    instance: tuple[str, int] | None,
    show_all: bool,
    limit: int,
    offset: int,
) -> None:
    """List user tasks, newest first; only open ones (STARTED) unless --all or --state.
    `tasks claim|unclaim|assign|complete` work on one."""
    if click.get_current_context().invoked_subcommand is not None:
        return
    partition, instance_id = instance if instance else (None, None)
    found = session.client.user_tasks.query(
        partition=partition,
        process_instance_id=instance_id,
        states=chosen_states(states, show_all, OPEN_USER_TASK_STATES),
        assignee=assignee,
        candidate_user=candidate_user,
        candidate_group=candidate_group,
        limit=limit,
        offset=offset,
        total=True,
        newest_first=True,
    )
    if session.as_json:
        session.emit(results(found))
        return
    out = table("user task", "instance", "element", "name", "state", "assignee", "candidates", "due", "rev")
    for task in found:
        out.add_row(
            ref(task.partition, task.id),
            ref(task.partition, task.process_instance_id),
            task.bpmn_element_id or "",
            escape(task.name or ""),
            styled(task.state),
            task.assignee or "",
            ", ".join([*task.candidate_users, *(f"group:{g}" for g in task.candidate_groups)]),
            when(task.due_date),
            str(task.revision or ""),
        )
    if found:
        session.out.print(out)
    footer(session, found, offset, "user tasks", filtered=not (show_all or states))


def _user_task_done(session: Session, task: Any, verb: str) -> None:
    if session.as_json:
        session.emit(task.raw)
    else:
        who = f", assignee {task.assignee}" if task.assignee else ""
        session.out.print(f"{verb} user task {task.partition}/{task.id}: {styled(task.state)}{escape(who)}")


@tasks_group.command(name="claim")
@click.argument("task", type=ADDRESS)
@click.option("--user", required=True, help="the user who takes the task")
@api_command
def tasks_claim(session: Session, task: tuple[str, int], user: str) -> None:
    """Claim a user task for a user."""
    _user_task_done(session, session.client.user_tasks.claim(task, user), "claimed")


@tasks_group.command(name="unclaim")
@click.argument("task", type=ADDRESS)
@api_command
def tasks_unclaim(session: Session, task: tuple[str, int]) -> None:
    """Remove the assignee of a user task."""
    _user_task_done(session, session.client.user_tasks.unclaim(task), "unclaimed")


@tasks_group.command(name="assign")
@click.argument("task", type=ADDRESS)
@click.option("--assignee", required=True, help="the new assignee")
@api_command
def tasks_assign(session: Session, task: tuple[str, int], assignee: str) -> None:
    """Assign a user task."""
    _user_task_done(session, session.client.user_tasks.assign(task, assignee), "assigned")


@tasks_group.command(name="complete")
@click.argument("task", type=ADDRESS)
@click.option("--var", "variables", multiple=True, help="process variable NAME=VALUE (repeatable)")
@api_command
def tasks_complete(session: Session, task: tuple[str, int], variables: tuple[str, ...]) -> None:
    """Complete a user task (at its current revision)."""
    _user_task_done(session, session.client.user_tasks.complete(task, variables=parse_pairs(variables)), "completed")
