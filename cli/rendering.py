"""What operator commands print: coloured states, tables, list footers, API errors, batch
summaries and the progress bar of long commands."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Protocol

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from client import BatonError
from client.variables import VariableData

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


class Printer(Protocol):
    """Where a command prints for people (a session): rendering needs nothing else of it."""

    out: Console


def footer(
    session: Printer, found: Any, offset: int, noun: str, *, filtered: bool, order: str = "newest first"
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


def problem(error: BatonError) -> dict[str, Any]:
    """An API error as the problem fields of a JSON summary."""
    return {
        "status": error.status,
        "type": error.type,
        "title": error.title,
        "detail": error.detail,
        "errors": [{"pointer": c.pointer, "type": c.type, "detail": c.detail} for c in error.errors],
    }


@contextmanager
def progress(console: Console, label: str, total: int, *, show: bool) -> Iterator[Callable[[], None]]:
    """A progress bar on ``console`` while the block runs, when ``show`` and ``console`` is a
    terminal (gone when done); yields the function that advances it by one item."""
    with Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not (show and console.is_terminal),
    ) as bar:
        task = bar.add_task(label, total=total)
        yield lambda: bar.advance(task)
