"""What every operator command shares: the session (client, output mode, consoles), exit codes,
arguments, table output, list paging and batch summaries."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from cli.batch import Outcome, confirm_batch, failure_lines, run_batch
from client import (
    BatonClient,
    BatonError,
    Conflict,
    InvalidRequest,
    NotFound,
    Unauthorized,
    Unavailable,
    parse_address,
)
from client.transport import DEFAULT_URL
from client.variables import VariableData

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

STATE_STYLES = {
    "STARTED": "yellow",
    "CREATED": "cyan",
    "QUEUED": "cyan",
    "LOCKED": "yellow",
    "SUSPENDED": "magenta",
    "COMPLETED": "green",
    "DONE": "green",
    "CANCELED": "red",
    "TERMINATED": "red",
    "CAUSED_INCIDENT": "red",
    "CAUSED_RETRY": "dim",
}


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


def report(console: Console, exc: BatonError) -> None:
    """Print an API error from its problem document: title, detail, and each cause."""
    kind = " ".join(str(part) for part in (exc.status, exc.type) if part)
    console.print(f"[bold red]Error:[/] {escape(exc.title)}" + (f" ({escape(kind)})" if kind else ""))
    if exc.detail:
        console.print(escape(exc.detail))
    for cause in exc.errors:
        value = f" (value: {cause.value!r})" if cause.value not in (None, "") else ""
        console.print(
            f"  {escape(cause.pointer or '#')}: {escape(cause.detail or cause.type or 'invalid')}{escape(value)}"
        )
    if exc.hint:
        console.print(escape(exc.hint))


# -- arguments ----------------------------------------------------------------------------------------


def parse_value(text: str) -> Any:
    """A ``--var`` value: JSON when it parses as JSON, else the text itself."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse_pairs(pairs: Iterable[str], what: str = "--var") -> dict[str, Any]:
    """``k=v`` pairs as a dict, values parsed with :func:`parse_value`."""
    values: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{pair!r} is not NAME=VALUE", param_hint=what)
        values[name] = parse_value(value)
    return values


def parse_tags(pairs: Iterable[str]) -> dict[str, str] | None:
    """``--tag k=v`` pairs as a dict of strings."""
    tags: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{pair!r} is not NAME=VALUE", param_hint="--tag")
        tags[name] = value
    return tags or None


class AddressType(click.ParamType):
    """``PARTITION/ID``, e.g. ``2025-05-01/12``."""

    name = "PARTITION/ID"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> tuple[str, int]:
        if isinstance(value, tuple):
            return value
        try:
            return parse_address(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


ADDRESS = AddressType()


# -- output -------------------------------------------------------------------------------------------


def styled(state: str | None) -> str:
    """A state, coloured."""
    text = state or "-"
    style = STATE_STYLES.get(text)
    return f"[{style}]{text}[/]" if style else text


def when(value: datetime | None) -> str:
    """A timestamp for a table (UTC, to the second)."""
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else ""


def ref(partition: Any, id: Any) -> str:
    """``partition/id``."""
    return f"{partition}/{id}" if id is not None else ""


def table(*columns: str) -> Table:
    """A table with these column headers."""
    result = Table(show_edge=False, header_style="bold")
    for column in columns:
        result.add_column(column, overflow="fold")
    return result


def results(items: Iterable[Any]) -> dict[str, Any]:
    """``{count, results}`` of records, in the API's JSON (and ``total`` when the query counted)."""
    raws = [item.raw for item in items]
    document: dict[str, Any] = {"count": len(raws), "results": raws}
    total = getattr(items, "total", None)
    if total is not None:
        document["total"] = total
    return document


def short(value: Any, limit: int = 80) -> str:
    """A variable value as compact JSON, cut at ``limit`` characters."""
    text = value.value if isinstance(value, VariableData) else json.dumps(value, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


INSTANCE_STATES = ["CREATED", "QUEUED", "STARTED", "SUSPENDED", "COMPLETED", "CANCELED", "TERMINATED"]
OPEN_INSTANCE_STATES = ["CREATED", "QUEUED", "STARTED", "SUSPENDED"]
JOB_STATES = ["CREATED", "LOCKED", "DONE", "CAUSED_RETRY", "CAUSED_INCIDENT", "CANCELED"]
OPEN_JOB_STATES = ["CREATED", "LOCKED"]
USER_TASK_STATES = ["STARTED", "COMPLETED", "CANCELED", "TERMINATED"]
OPEN_USER_TASK_STATES = ["STARTED"]


def list_options(what: str, open_states: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--all``, ``--limit`` and ``--offset`` of a list command (newest first, open by default)."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        func = click.option("--offset", default=0, show_default=True, type=click.IntRange(0), help="skip this many")(
            func
        )
        func = click.option(
            "--limit", default=50, show_default=True, type=click.IntRange(1, 1000), help="at most this many (≤ 1000)"
        )(func)
        return click.option(
            "--all",
            "show_all",
            is_flag=True,
            help=f"{what} in every state (default: only open ones: {open_states}; --state chooses others)",
        )(func)

    return decorate


def chosen_states(states: tuple[str, ...], show_all: bool, open_states: list[str]) -> list[str] | None:
    """The states a list asks for: ``--state`` when given, every state with ``--all``, else the open ones."""
    if states:
        return [state.upper() for state in states]
    return None if show_all else open_states


def footer(
    session: Session, found: Any, offset: int, noun: str, *, filtered: bool, order: str = "newest first"
) -> None:
    """The line under a list: which of how many it shows and how to see the rest, or why it is
    empty. ``filtered``: only open items were asked for (the default of a list)."""
    total = found.total
    if total is None:
        return
    which = f"open {noun}" if filtered else noun
    if not found:
        beyond = f" beyond --offset {offset}" if offset else ""
        session.out.print(f"no {which}{beyond}" + (" (--all for every state)" if filtered else ""))
    elif offset or len(found) < total:
        session.out.print(
            f"showing {offset + 1}-{offset + len(found)} of {total} {which} ({order}); --limit/--offset for more"
        )
    else:
        session.out.print(f"{total} {which} ({order})")


def problem(error: BatonError) -> dict[str, Any]:
    """An API error as the problem fields of a JSON summary."""
    return {
        "status": error.status,
        "type": error.type,
        "title": error.title,
        "detail": error.detail,
        "errors": [{"pointer": c.pointer, "type": c.type, "detail": c.detail} for c in error.errors],
    }


def every_page(query: Callable[[int], list[Any]]) -> list[Any]:
    """Every result of a query, page by page (1000 at a time), taken before anything changes."""
    found: list[Any] = []
    while True:
        page = query(len(found))
        found += page
        if len(page) < 1000:
            return found


@dataclass(frozen=True)
class Verb:
    """How a batch action is named: ``Cancel`` (asking), ``canceling`` (the bar), ``canceled``."""

    ask: str
    doing: str
    done: str


def addressed_batch(
    session: Session,
    verb: Verb,
    noun: str,
    named: Iterable[tuple[Any, int]],
    query: Callable[[int], list[Any]] | None,
    action: Callable[[tuple[Any, int]], Any],
    *,
    assume_yes: bool,
    concurrency: int,
) -> None:
    """Run ``action`` on the named addresses plus every match of ``query`` (taken page by page
    before anything changes, confirmed first), with a progress bar and the summary."""
    targets = list(dict.fromkeys(named))
    if query is not None:
        targets = list(dict.fromkeys([*targets, *((found.partition, found.id) for found in every_page(query))]))
        confirm_batch(verb.ask, len(targets), noun, assume_yes)
    outcome = run_batch(
        session.err, verb.doing, targets, action, concurrency=concurrency, show_progress=not session.as_json
    )
    batch_summary(session, outcome, verb.done, noun)


def batch_summary(session: Session, outcome: Outcome[Any, Any], verb: str, noun: str) -> None:
    """The summary of a batch of actions on addressed resources, and its exit code."""

    def name(item: Any) -> str:
        return f"{item[0]}/{item[1]}"

    if session.as_json:
        session.emit(
            {
                "count": len(outcome.done),
                "results": [{"partition": str(p), "id": i} for (p, i), _ in outcome.done],
                "errors": [{"partition": str(p), "id": i, **problem(e)} for (p, i), e in outcome.failed],
            }
        )
    else:
        total = len(outcome.done) + len(outcome.failed)
        line = f"{verb} {len(outcome.done)} of {total} {noun} in {outcome.seconds:.1f} s"
        session.out.print(line + (f"; {len(outcome.failed)} failed:" if outcome.failed else ""))
        for text in failure_lines(outcome, name):
            session.out.print(escape(text))
    if outcome.failed:
        click.get_current_context().exit(exit_code(outcome.failed[0][1]))
