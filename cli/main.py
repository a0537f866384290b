"""The ``baton`` command: the server commands and the operator commands, by resource."""

from __future__ import annotations

import os

import click

from cli import server, up
from cli.commands import (
    check,
    incidents,
    jobs,
    messages,
    process_instances,
    processes,
    signals,
    time,
    user_tasks,
    variables,
)
from cli.logs import configure


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="baton")
def cli() -> None:
    """Baton, a BPMN 2.0 process engine: run it (server commands) and operate it."""
    configure(os.environ.get("BATON_LOG_FORMAT", "text"), os.environ.get("BATON_LOG_LEVEL", "WARNING"))


SERVER_COMMANDS: list[click.Command] = [
    up.up,
    server.migrate,
    server.api,
    server.worker,
    server.beat,
    server.flower,
    server.api_key,
]

OPERATOR_COMMANDS: list[click.Command] = [
    check.check,
    processes.deploy,
    processes.processes,
    process_instances.start,
    process_instances.instances,
    process_instances.show,
    process_instances.suspend,
    process_instances.resume,
    process_instances.cancel,
    jobs.jobs,
    incidents.incidents,
    incidents.resolve,
    messages.send_message,
    signals.send_signal,
    variables.vars_group,
    user_tasks.tasks_group,
    time.time_group,
]

for command in (*SERVER_COMMANDS, *OPERATOR_COMMANDS):
    cli.add_command(command)


def main() -> None:
    """Entry point of the ``baton`` script."""
    cli()


if __name__ == "__main__":
    main()
