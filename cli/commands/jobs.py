"""``jobs``: the jobs job workers lock and complete."""

from __future__ import annotations

import click
from rich.markup import escape

from cli.arguments import ADDRESS, chosen_states, list_options
from cli.rendering import footer, ref, results, styled, table
from cli.session import OperatorCommand, Session, api_command

JOB_STATES = ["CREATED", "LOCKED", "DONE", "CAUSED_RETRY", "CAUSED_INCIDENT", "CANCELED"]
OPEN_JOB_STATES = ["CREATED", "LOCKED"]


@click.command(cls=OperatorCommand)
@click.option("--instance", type=ADDRESS, help="only jobs of this process instance")
@click.option(
    "--state",
    "states",
    multiple=True,
    type=click.Choice(JOB_STATES, case_sensitive=False),
    help="only jobs in this state (repeatable)",
)
@click.option("--type", "types", multiple=True, help="only jobs of this type (model job type or kind; repeatable)")
@list_options("jobs", "CREATED, LOCKED")
@api_command
def jobs(
    session: Session,
    instance: tuple[str, int] | None,
    states: tuple[str, ...],
    types: tuple[str, ...],
    show_all: bool,
    limit: int,
    offset: int,
) -> None:
    """List jobs, newest first; only open ones (CREATED, LOCKED) unless --all or --state."""
    partition, instance_id = instance if instance else (None, None)
    found = session.client.jobs.query(
        partition=partition,
        process_instance_id=instance_id,
        states=chosen_states(states, show_all, OPEN_JOB_STATES),
        types=types or None,
        limit=limit,
        offset=offset,
        total=True,
        newest_first=True,
    )
    if session.as_json:
        session.emit(results(found))
        return
    out = table("job", "instance", "element", "type", "state", "locked by", "retries", "error")
    for job in found:
        out.add_row(
            ref(job.partition, job.id),
            ref(job.partition, job.process_instance_id),
            job.bpmn_element_id or "",
            job.job_type or job.type or "",
            styled(job.state),
            job.locked_by or "",
            str(job.retry_count or 0),
            escape(job.error or ""),
        )
    if found:
        session.out.print(out)
    footer(session, found, offset, "jobs", filtered=not (show_all or states))
