"""Long operator commands over many items: a progress bar on a terminal, a summary when piped.

``start --count``, ``deploy`` of a folder, and ``cancel`` / ``resolve`` of many instances or
incidents run their requests through :func:`run_batch`. On a terminal a rich progress bar shows
how far they are (on stderr, gone when done); piped or with ``--json`` there is no bar, only the
command's final summary (or JSON document).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import click
from rich.console import Console
from rich.markup import escape

from cli.rendering import problem, progress
from cli.session import Session, exit_code
from client import BatonError

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class Outcome(Generic[T, R]):
    """What a batch did: each item with its result, each failed item with its error, in the
    order of the items, and how long it took."""

    done: list[tuple[T, R]] = field(default_factory=list)
    failed: list[tuple[T, BatonError]] = field(default_factory=list)
    seconds: float = 0.0
    stopped: bool = False  # the first error stopped the rest

    @property
    def rate(self) -> float:
        """Items done per second."""
        return len(self.done) / self.seconds if self.seconds > 0 else 0.0


def run_batch(
    console: Console,
    label: str,
    items: Sequence[T],
    action: Callable[[T], R],
    *,
    concurrency: int = 1,
    stop_on_error: bool = False,
    show_progress: bool = True,
) -> Outcome[T, R]:
    """Run ``action`` on every item, ``concurrency`` at a time, with a progress bar on
    ``console`` when it is a terminal. An API error fails its item and the batch goes on, unless
    ``stop_on_error``: then nothing new starts after the first error."""
    outcome: Outcome[T, R] = Outcome()
    results: dict[int, R] = {}
    errors: dict[int, BatonError] = {}
    lock = threading.Lock()
    stop = threading.Event()
    began = time.monotonic()
    with (
        progress(console, label, len(items), show=show_progress) as advance,
        ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool,
    ):

        def run(index: int, item: T) -> None:
            if stop.is_set():
                return
            try:
                result = action(item)
            except BatonError as exc:
                with lock:
                    errors[index] = exc
                if stop_on_error:
                    stop.set()
            else:
                with lock:
                    results[index] = result
            advance()

        for future in [pool.submit(run, index, item) for index, item in enumerate(items)]:
            future.result()  # anything but an API error is a bug: let it surface
    outcome.seconds = time.monotonic() - began
    outcome.done = [(items[i], results[i]) for i in sorted(results)]
    outcome.failed = [(items[i], errors[i]) for i in sorted(errors)]
    outcome.stopped = stop.is_set() and len(results) + len(errors) < len(items)
    return outcome


def confirm_batch(verb: str, count: int, noun: str, assume_yes: bool) -> None:
    """Ask before acting on ``count`` items a query selected; ``--yes`` answers for scripts.
    Without a terminal to ask on, ``--yes`` is required."""
    if assume_yes or count == 0:
        return
    if not sys.stdin.isatty():
        raise click.UsageError(f"{verb} {count} {noun}? Add --yes to confirm (there is no terminal to ask on)")
    if not click.confirm(f"{verb} {count} {noun}?", default=False, err=True):
        raise click.Abort()


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
    before anything changes, confirmed first), with a progress bar, the summary and the exit code
    of the first failure."""
    targets = list(dict.fromkeys(named))
    if query is not None:
        targets = list(dict.fromkeys([*targets, *((found.partition, found.id) for found in every_page(query))]))
        confirm_batch(verb.ask, len(targets), noun, assume_yes)
    outcome = run_batch(
        session.err, verb.doing, targets, action, concurrency=concurrency, show_progress=not session.as_json
    )
    batch_summary(session, outcome, verb.done, noun)
    if outcome.failed:
        click.get_current_context().exit(exit_code(outcome.failed[0][1]))


def failure_lines(outcome: Outcome[Any, Any], name: Callable[[Any], str], limit: int = 20) -> list[str]:
    """One line per failed item (at most ``limit``, then how many more)."""
    lines = [f"  {name(item)}: {error}" for item, error in outcome.failed[:limit]]
    if len(outcome.failed) > limit:
        lines.append(f"  … and {len(outcome.failed) - limit} more")
    return lines


def batch_summary(session: Session, outcome: Outcome[Any, Any], verb: str, noun: str) -> None:
    """The summary of a batch of actions on addressed resources: a line and the failures, or the
    JSON document with ``--json``."""

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
