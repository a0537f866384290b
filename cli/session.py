"""The session of an operator command: the API client, the output mode, the exit codes.

Every operator command talks to a running API through :mod:`client` only. Each takes ``--url``
(``BATON_URL``, default ``http://127.0.0.1:8080``), ``--api-key`` (else ``BATON_API_KEY``, else
the key file of the ``baton up`` serving that URL on this machine, else ``$BATON_DATA_DIR/api-key``
or ``~/.baton/api-key``: :mod:`client.keys`) and ``--json`` (print the API's JSON, one document
per command, instead of tables). A 401 says which key was sent, or every place that was tried.

Exit codes: 0 ok; 1 usage error or unexpected failure; 2 not found; 3 conflict; 4 invalid
request; 5 unavailable or no connection; 6 unauthorized.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import Any

import click
from rich.console import Console

from cli.rendering import report
from client import (
    BatonClient,
    BatonError,
    Conflict,
    InvalidRequest,
    NotFound,
    Unauthorized,
    Unavailable,
)
from client.transport import DEFAULT_URL

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_NOT_FOUND = 2
EXIT_CONFLICT = 3
EXIT_INVALID = 4
EXIT_UNAVAILABLE = 5
EXIT_UNAUTHORIZED = 6

EXIT_CODES: list[tuple[type[BatonError], int]] = [
    (NotFound, EXIT_NOT_FOUND),
    (Conflict, EXIT_CONFLICT),
    (InvalidRequest, EXIT_INVALID),
    (Unavailable, EXIT_UNAVAILABLE),
    (Unauthorized, EXIT_UNAUTHORIZED),
]


def exit_code(exc: BatonError) -> int:
    """The documented exit code of an API error."""
    for kind, code in EXIT_CODES:
        if isinstance(exc, kind):
            return code
    return EXIT_FAILURE


class OperatorCommand(click.Command):
    """A command whose usage errors exit with 1 (click's 2 means "not found" here)."""

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: Any
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as exc:
            exc.exit_code = EXIT_FAILURE
            raise


class OperatorGroup(click.Group):
    """A group of operator commands (same exit codes)."""

    command_class = OperatorCommand

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: Any
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as exc:
            exc.exit_code = EXIT_FAILURE
            raise


class Session:
    """What a command works with: the client, the output mode and the consoles."""

    def __init__(self, url: str, api_key: str | None, as_json: bool) -> None:
        self.client = BatonClient(url, api_key)
        self.as_json = as_json
        self.out = Console(width=None if sys.stdout.isatty() else 160, highlight=False)
        self.err = Console(stderr=True, width=None if sys.stderr.isatty() else 160, highlight=False)

    def emit(self, document: Any) -> None:
        """Print one JSON document (``--json``)."""
        click.echo(json.dumps(document, indent=2, default=str))


def api_command(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--url``, ``--api-key`` and ``--json``, pass a :class:`Session` as first argument, and
    turn API errors into a message on stderr and the documented exit code."""

    @click.option("--url", envvar="BATON_URL", default=DEFAULT_URL, show_default=True, help="API base URL ($BATON_URL)")
    @click.option(
        "--api-key",
        default=None,
        help="API key (default: $BATON_API_KEY, else the key file of the `baton up` serving --url)",
    )
    @click.option("--json", "as_json", is_flag=True, help="print the API's JSON instead of tables")
    @functools.wraps(func)
    def wrapper(url: str, api_key: str | None, as_json: bool, **kwargs: Any) -> Any:
        session = Session(url, api_key, as_json)
        try:
            return func(session, **kwargs)
        except click.UsageError as exc:
            exc.exit_code = EXIT_FAILURE
            raise
        except BatonError as exc:
            report(session.err, exc)
            click.get_current_context().exit(exit_code(exc))
        finally:
            session.client.close()

    return wrapper
