"""Operator sub-commands of ``baton``: deploy, start, inspect and repair instances over the API.

Every command talks to a running API through :mod:`client` only. Each takes ``--url``
(``BATON_URL``, default ``http://127.0.0.1:8080``), ``--api-key`` (else ``BATON_API_KEY``, else
the key file of the ``baton up`` serving that URL on this machine, else ``$BATON_DATA_DIR/api-key``
or ``~/.baton/api-key``: :mod:`client.keys`) and ``--json`` (print the API's JSON, one document
per command, instead of tables). A 401 says which key was sent, or every place that was tried.

Exit codes: 0 ok; 1 usage error or unexpected failure; 2 not found; 3 conflict; 4 invalid
request; 5 unavailable or no connection; 6 unauthorized.
"""

from __future__ import annotations

import click

from cli.operations.clock import time_group
from cli.operations.events import send_message, send_signal
from cli.operations.incidents import incidents, resolve
from cli.operations.instances import cancel, instances, resume, show, start, suspend
from cli.operations.jobs import jobs
from cli.operations.processes import deploy, processes
from cli.operations.user_tasks import tasks_group
from cli.operations.variables import vars_group

COMMANDS: list[click.Command] = [
    deploy,
    processes,
    start,
    instances,
    show,
    suspend,
    resume,
    cancel,
    jobs,
    incidents,
    resolve,
    send_message,
    send_signal,
    vars_group,
    tasks_group,
    time_group,
]
"""The operator commands, registered on ``baton`` by ``cli.main``."""


def register(group: click.Group) -> None:
    """Add the operator commands to the ``baton`` group."""
    for command in COMMANDS:
        group.add_command(command)
