"""Process instances: ``start``, ``instances``, ``show``, ``suspend``, ``resume``, ``cancel``."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

import click
from rich.markup import escape
from rich.tree import Tree

from cli.arguments import ADDRESS, chosen_states, list_options, parse_pairs, parse_tags
from cli.batch import Verb, addressed_batch, run_batch
from cli.rendering import footer, problem, ref, report, results, short, styled, table, when
from cli.session import OperatorCommand, Session, api_command, exit_code
from client import (
    ElementInstance,
    NotFound,
    ProcessInstance,
)

INSTANCE_STATES = ["CREATED", "QUEUED", "STARTED", "SUSPENDED", "COMPLETED", "CANCELED", "TERMINATED"]
OPEN_INSTANCE_STATES = ["CREATED", "QUEUED", "STARTED", "SUSPENDED"]


@click.command(cls=OperatorCommand)
@click.argument("process")
@click.option("--version", help="process version (default: the latest)")
@click.option("--var", "variables", multiple=True, help="variable NAME=VALUE (VALUE as JSON if it parses, else text)")
@click.option("--correlation-key", help="business key of the instance")
@click.option("--tag", "tags", multiple=True, help="tag NAME=VALUE (repeatable)")
@click.option("--count", default=1, show_default=True, type=click.IntRange(1), help="start this many instances")
@click.option(
    "--concurrency", default=4, show_default=True, type=click.IntRange(1, 64), help="parallel requests with --count"
)
@api_command
def start(
    session: Session,
    process: str,
    version: str | None,
    variables: tuple[str, ...],
    correlation_key: str | None,
    tags: tuple[str, ...],
    count: int,
    concurrency: int,
) -> None:
    """Start instances of a process (by BPMN process id)."""
    values = parse_pairs(variables)
    tag_values = parse_tags(tags)

    def one() -> ProcessInstance:
        return session.client.process_instances.start(
            process, version=version, variables=values, correlation_key=correlation_key, tags=tag_values
        )

    if count == 1:
        instance = one()
        if session.as_json:
            session.emit(instance.raw)
        else:
            session.out.print(
                f"started {instance.partition}/{instance.id} ({instance.bpmn_process_id} version {instance.version})"
            )
        return
    outcome = run_batch(
        session.err,
        "starting",
        range(count),
        lambda _: one(),
        concurrency=concurrency,
        stop_on_error=True,
        show_progress=not session.as_json,
    )
    started = sorted((instance for _, instance in outcome.done), key=lambda i: (i.partition, i.id))
    if session.as_json:
        document = results(started)
        if outcome.failed:
            document["errors"] = [problem(outcome.failed[0][1])]
        session.emit(document)
    elif started:
        first, last = started[0], started[-1]
        session.out.print(
            f"started {len(started)} instances of {process} in {outcome.seconds:.2f} s ({outcome.rate:.1f}/s): "
            f"{first.partition}/{first.id} … {last.partition}/{last.id}"
        )
    if outcome.failed:
        if not session.as_json:
            session.err.print(f"stopped after {len(started)} of {count}: the first error stopped the rest")
            report(session.err, outcome.failed[0][1])
        click.get_current_context().exit(exit_code(outcome.failed[0][1]))


@click.command(cls=OperatorCommand)
@click.option(
    "--state",
    "states",
    multiple=True,
    type=click.Choice(INSTANCE_STATES, case_sensitive=False),
    help="only instances in this state (repeatable)",
)
@click.option("--process", "bpmn_process_id", help="only instances of this BPMN process id")
@click.option("--correlation-key", help="only instances with this correlation key")
@list_options("instances", "CREATED, QUEUED, STARTED, SUSPENDED")
@api_command
def instances(
    session: Session,
    states: tuple[str, ...],
    bpmn_process_id: str | None,
    correlation_key: str | None,
    show_all: bool,
    limit: int,
    offset: int,
) -> None:
    """List process instances, newest first; only those still running unless --all or --state."""
    found = session.client.process_instances.query(
        bpmn_process_id=bpmn_process_id,
        states=chosen_states(states, show_all, OPEN_INSTANCE_STATES),
        correlation_key=correlation_key,
        offset=offset,
        limit=limit,
        total=True,
        newest_first=True,
    )
    if session.as_json:
        session.emit(results(found))
        return
    out = table("instance", "process", "version", "state", "correlation key", "created", "ended")
    for i in found:
        out.add_row(
            ref(i.partition, i.id),
            i.bpmn_process_id or "",
            i.version or "",
            styled(i.state),
            i.correlation_key or "",
            when(i.created_at),
            when(i.ended_at),
        )
    if found:
        session.out.print(out)
    footer(session, found, offset, "instances", filtered=not (show_all or states))


def token_tree(instance: ProcessInstance, element_instances: list[ElementInstance]) -> Tree:
    """The element instances of a process instance as a tree (by ``parent_id``)."""
    children: dict[int | None, list[ElementInstance]] = defaultdict(list)
    known = {ei.id for ei in element_instances}
    for ei in sorted(element_instances, key=lambda e: e.id):
        children[ei.parent_id if ei.parent_id in known else None].append(ei)
    root = Tree(
        f"[bold]{escape(instance.bpmn_process_id or '?')}[/] version {escape(instance.version or '?')} "
        f"{instance.partition}/{instance.id} {styled(instance.state)}"
    )

    def add(node: Tree, parent: int | None) -> None:
        for ei in children.get(parent, []):
            kind = escape(ei.bpmn_element_type or "")
            label = f"{escape(ei.bpmn_element_id or '?')} [dim]{kind} #{ei.id}[/] {styled(ei.state)}"
            add(node.add(label), ei.id)

    add(root, None)
    return root


@click.command(cls=OperatorCommand)
@click.argument("instance", type=ADDRESS)
@api_command
def show(session: Session, instance: tuple[str, int]) -> None:
    """Show a process instance: its token tree, open jobs, incidents, user tasks and variables."""
    client = session.client
    partition, id = instance
    current = client.process_instances.get(instance)
    element_instances = client.process_instances.element_instances(instance)
    jobs = client.jobs.query(partition=partition, process_instance_id=id, states=["CREATED", "LOCKED"])
    incidents = client.incidents.query(partition=partition, process_instance_id=id)
    try:
        user_tasks = client.user_tasks.query(partition=partition, process_instance_id=id)
    except NotFound:  # an API without user tasks
        user_tasks = []
    variables = client.variables.get_process(instance, decode=False)
    if session.as_json:
        session.emit(
            {
                "processInstance": current.raw,
                "elementInstances": [ei.raw for ei in element_instances],
                "jobs": [job.raw for job in jobs],
                "incidents": [incident.raw for incident in incidents],
                "userTasks": [task.raw for task in user_tasks],
                "variables": [{"name": name, "data": data.to_wire()} for name, data in variables.items()],
            }
        )
        return
    out = session.out
    out.print(token_tree(current, element_instances))
    if current.end_reason:
        out.print(f"end reason: {escape(current.end_reason)}")
    if jobs:
        out.print("\n[bold]open jobs[/]")
        t = table("job", "element", "type", "state", "locked by", "retries", "due")
        for job in jobs:
            t.add_row(
                ref(job.partition, job.id),
                job.bpmn_element_id or "",
                job.job_type or job.type or "",
                styled(job.state),
                job.locked_by or "",
                str(job.retry_count or 0),
                when(job.due_at),
            )
        out.print(t)
    if incidents:
        out.print("\n[bold]incidents[/]")
        t = table("incident", "element", "job/task", "error", "created", "resolved")
        for inc in incidents:
            source = f"job {inc.job_id}" if inc.job_id else (f"task {inc.task_id}" if inc.task_id else "")
            t.add_row(
                ref(inc.partition, inc.id),
                inc.bpmn_element_id or "",
                source,
                escape(inc.error or ""),
                when(inc.created_at),
                when(inc.resolved_at),
            )
        out.print(t)
    if user_tasks:
        out.print("\n[bold]user tasks[/]")
        t = table("user task", "element", "name", "state", "assignee", "candidates", "revision")
        for task in user_tasks:
            t.add_row(
                ref(task.partition, task.id),
                task.bpmn_element_id or "",
                escape(task.name or ""),
                styled(task.state),
                task.assignee or "",
                ", ".join([*task.candidate_users, *(f"group:{g}" for g in task.candidate_groups)]),
                str(task.revision or ""),
            )
        out.print(t)
    if variables:
        out.print("\n[bold]variables[/]")
        t = table("name", "value", "encoding")
        for name, data in variables.items():
            t.add_row(
                name,
                escape(short(data.decode()) if data.encoding in ("json", "text") else data.value[:80]),
                data.encoding + (" (encrypted)" if data.encrypted else ""),
            )
        out.print(t)


def _instance_action(session: Session, instance: tuple[str, int], verb: str, action: Callable[[], Any]) -> None:
    action()
    current = session.client.process_instances.get(instance)
    if session.as_json:
        session.emit(current.raw)
    else:
        session.out.print(f"{verb} {current.partition}/{current.id}: {styled(current.state)}")


@click.command(cls=OperatorCommand)
@click.argument("instance", type=ADDRESS)
@api_command
def suspend(session: Session, instance: tuple[str, int]) -> None:
    """Suspend a process instance (its jobs cannot be locked, its engine tasks wait)."""
    _instance_action(session, instance, "suspended", lambda: session.client.process_instances.suspend(instance))


@click.command(cls=OperatorCommand)
@click.argument("instance", type=ADDRESS)
@api_command
def resume(session: Session, instance: tuple[str, int]) -> None:
    """Resume a suspended process instance."""
    _instance_action(session, instance, "resumed", lambda: session.client.process_instances.resume(instance))


@click.command(cls=OperatorCommand)
@click.argument("instances", nargs=-1, type=ADDRESS)
@click.option("--reason", help="why (kept as the instance's endReason)")
@click.option("--process", "bpmn_process_id", help="cancel every open instance of this BPMN process id")
@click.option("--correlation-key", help="cancel every open instance with this correlation key")
@click.option("--yes", "assume_yes", is_flag=True, help="do not ask before canceling instances a query selected")
@click.option(
    "--concurrency", default=4, show_default=True, type=click.IntRange(1, 64), help="parallel requests of a batch"
)
@api_command
def cancel(
    session: Session,
    instances: tuple[tuple[str, int], ...],
    reason: str | None,
    bpmn_process_id: str | None,
    correlation_key: str | None,
    assume_yes: bool,
    concurrency: int,
) -> None:
    """Cancel process instances with their jobs, tasks, user tasks and subscriptions: the ones
    named (PARTITION/ID …), or every open one of --process and/or --correlation-key (asks first;
    --yes for scripts)."""
    selected = bpmn_process_id is not None or correlation_key is not None
    if not instances and not selected:
        raise click.UsageError("name instances (PARTITION/ID …) or select them with --process / --correlation-key")
    api = session.client.process_instances
    if len(instances) == 1 and not selected:
        instance = instances[0]
        _instance_action(session, instance, "canceled", lambda: api.cancel(instance, reason=reason))
        return
    query = None
    if selected:

        def query(offset: int) -> list[Any]:
            return api.query(
                bpmn_process_id=bpmn_process_id,
                correlation_key=correlation_key,
                states=OPEN_INSTANCE_STATES,
                offset=offset,
            )

    addressed_batch(
        session,
        Verb("Cancel", "canceling", "canceled"),
        "instances",
        instances,
        query,
        lambda instance: api.cancel(instance, reason=reason),
        assume_yes=assume_yes,
        concurrency=concurrency,
    )
