"""The ``baton`` command."""

from __future__ import annotations

import os

import click

from cli import operations, server, up


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="baton")
def cli() -> None:
    """Baton, a BPMN 2.0 process engine: run it (server commands) and operate it."""
    from cli.logs import configure

    configure(os.environ.get("BATON_LOG_FORMAT", "text"), os.environ.get("BATON_LOG_LEVEL", "WARNING"))


for command in (up.up, server.migrate, server.api, server.worker, server.beat, server.flower, server.api_key):
    cli.add_command(command)
operations.register(cli)


def main() -> None:
    """Entry point of the ``baton`` script."""
    cli()


if __name__ == "__main__":
    main()
