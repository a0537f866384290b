"""``incidents`` and ``resolve``: failed jobs and tasks, and trying them again."""

from __future__ import annotations

from typing import Any

import click
from rich.markup import escape

from cli.arguments import ADDRESS, list_options
from cli.batch import Verb, addressed_batch
from cli.rendering import footer, ref, results, table, when
from cli.session import OperatorCommand, Session, api_command


@click.command(cls=OperatorCommand)
@click.option("--open", "only_open", is_flag=True, hidden=True, help="only unresolved incidents (the default)")
@click.option("--instance", type=ADDRESS, help="only incidents of this process instance")
@list_options("incidents", "unresolved")
@api_command
def incidents(
    session: Session, only_open: bool, instance: tuple[str, int] | None, show_all: bool, limit: int, offset: int
) -> None:
    """List incidents, newest first; only unresolved ones unless --all."""
    partition, instance_id = instance if instance else (None, None)
    found = session.client.incidents.query(
        partition=partition,
        process_instance_id=instance_id,
        resolved=None if show_all and not only_open else False,
        limit=limit,
        offset=offset,
        total=True,
        newest_first=True,
    )
    if session.as_json:
        session.emit(results(found))
        return
    out = table("incident", "instance", "element", "job/task", "error", "created", "resolved")
    for inc in found:
        source = f"job {inc.job_id}" if inc.job_id else (f"task {inc.task_id}" if inc.task_id else "")
        out.add_row(
            ref(inc.partition, inc.id),
            ref(inc.partition, inc.process_instance_id),
            inc.bpmn_element_id or "",
            source,
            escape(inc.error or ""),
            when(inc.created_at),
            when(inc.resolved_at),
        )
    if found:
        session.out.print(out)
    footer(session, found, offset, "incidents", filtered=only_open or not show_all)


@click.command(cls=OperatorCommand)
@click.argument("incidents", nargs=-1, type=ADDRESS)
@click.option("--retry-timer", help="ISO 8601 duration until the retry is due (default: at once)")
@click.option(
    "--all", "every_open", is_flag=True, help="resolve every open incident (with --instance: of that instance)"
)
@click.option("--instance", type=ADDRESS, help="resolve every open incident of this process instance")
@click.option("--yes", "assume_yes", is_flag=True, help="do not ask before resolving incidents a query selected")
@click.option(
    "--concurrency", default=4, show_default=True, type=click.IntRange(1, 64), help="parallel requests of a batch"
)
@api_command
def resolve(
    session: Session,
    incidents: tuple[tuple[str, int], ...],
    retry_timer: str | None,
    every_open: bool,
    instance: tuple[str, int] | None,
    assume_yes: bool,
    concurrency: int,
) -> None:
    """Resolve incidents, so that their jobs or tasks are tried again: the ones named
    (PARTITION/ID …), every open one of --instance, or with --all every open one (asks first;
    --yes for scripts)."""
    selected = every_open or instance is not None
    if not incidents and not selected:
        raise click.UsageError("name incidents (PARTITION/ID …) or select them with --instance or --all")
    api = session.client.incidents
    if len(incidents) == 1 and not selected:
        partition, id = incidents[0]
        api.resolve(incidents[0], retry_timer=retry_timer)
        found = api.query(partition=partition, id=id)
        if session.as_json:
            session.emit(found[0].raw if found else {"partition": partition, "id": id})
        else:
            session.out.print(f"resolved incident {partition}/{id}")
        return
    query = None
    if selected:
        partition, instance_id = instance if instance else (None, None)

        def query(offset: int) -> list[Any]:
            return api.query(partition=partition, process_instance_id=instance_id, resolved=False, offset=offset)

    addressed_batch(
        session,
        Verb("Resolve", "resolving", "resolved"),
        "incidents",
        incidents,
        query,
        lambda incident: api.resolve(incident, retry_timer=retry_timer),
        assume_yes=assume_yes,
        concurrency=concurrency,
    )
