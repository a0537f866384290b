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

import functools
import hashlib
import json
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from cli.batch import Outcome, confirm_batch, failure_lines, run_batch
from client import (
    BatonClient,
    BatonError,
    Conflict,
    ElementInstance,
    InvalidRequest,
    NotFound,
    ProcessInstance,
    Unauthorized,
    Unavailable,
    executable_process_ids,
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


def content_version(xml: str) -> str:
    """The default version of ``deploy``: the first 12 hex digits of the document's SHA-256."""
    return hashlib.sha256(xml.encode("utf-8")).hexdigest()[:12]


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


# -- processes ----------------------------------------------------------------------------------------


BPMN_SUFFIXES = (".bpmn", ".bpmn20.xml")


def bpmn_files(path: Path) -> list[Path]:
    """``path`` itself, or every BPMN file (``*.bpmn``, ``*.bpmn20.xml``) under a folder, sorted."""
    if path.is_file():
        return [path]
    return sorted(f for f in path.rglob("*") if f.is_file() and f.name.lower().endswith(BPMN_SUFFIXES))


@dataclass(frozen=True)
class Deployment:
    """One process of one file to deploy."""

    file: Path
    xml: str
    process_id: str
    version: str


@click.command(cls=OperatorCommand)
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--version", "version", help="version to deploy as (default: 12 hex digits of each file's SHA-256)")
@click.option("--process", "process_ids", multiple=True, help="deploy only this BPMN process id (repeatable)")
@click.option("--tag", "tags", multiple=True, help="tag NAME=VALUE (repeatable)")
@api_command
def deploy(
    session: Session, path: Path, version: str | None, process_ids: tuple[str, ...], tags: tuple[str, ...]
) -> None:
    """Deploy the executable processes of a BPMN file, or of every BPMN file in a folder.

    Without --version the version is a content hash, so deploying an unchanged file again
    changes nothing and every changed file becomes a new (latest) version. Of a folder, every
    file is tried (a progress bar on a terminal); the ones refused are listed at the end with
    their causes, and the exit code is that of the first refusal.
    """
    files = bpmn_files(path)
    if not files:
        raise click.BadParameter(f"no BPMN file ({', '.join(BPMN_SUFFIXES)}) under {path}", param_hint="PATH")
    wanted: list[Deployment] = []
    skipped: list[tuple[Path, str]] = []
    for file in files:
        xml = file.read_text(encoding="utf-8")
        try:
            ids = list(process_ids) or executable_process_ids(xml)
        except ValueError as exc:
            if path.is_file():
                raise click.BadParameter(str(exc), param_hint="PATH") from exc
            skipped.append((file, str(exc)))
            continue
        if not ids and path.is_file():
            raise click.BadParameter('no executable process (<process isExecutable="true">)', param_hint="PATH")
        if not ids:
            skipped.append((file, "no executable process"))
        wanted += [Deployment(file, xml, pid, version or content_version(xml)) for pid in ids]
    tag_values = parse_tags(tags)
    outcome = run_batch(
        session.err,
        "deploying",
        wanted,
        lambda d: session.client.processes.deploy(d.xml, d.process_id, d.version, tags=tag_values),
        show_progress=len(files) > 1 and not session.as_json,
    )
    if session.as_json:
        document = results(process for _, process in outcome.done)
        if len(files) > 1:
            document["errors"] = [
                {"file": str(d.file), "bpmnProcessId": d.process_id, **problem(e)} for d, e in outcome.failed
            ]
            document["skipped"] = [{"file": str(f), "reason": why} for f, why in skipped]
        session.emit(document)
    else:
        for _, process in outcome.done:
            session.out.print(
                f"deployed [bold]{process.bpmn_process_id}[/] version {process.version} (process {process.id})"
            )
        if len(files) > 1:
            session.out.print(
                f"{len(outcome.done)} of {len(wanted)} processes from {len(files)} files deployed in "
                f"{outcome.seconds:.1f} s; {len(outcome.failed)} refused, {len(skipped)} files without an "
                "executable process"
            )
            for file, why in skipped:
                session.out.print(f"  skipped {escape(str(file))}: {escape(why)}")
        for deployment, error in outcome.failed:
            session.err.print(f"[bold]{escape(str(deployment.file))}[/] ({escape(deployment.process_id)}):")
            report(session.err, error)
    if outcome.failed:
        click.get_current_context().exit(exit_code(outcome.failed[0][1]))


def problem(error: BatonError) -> dict[str, Any]:
    """An API error as the problem fields of a JSON summary."""
    return {
        "status": error.status,
        "type": error.type,
        "title": error.title,
        "detail": error.detail,
        "errors": [{"pointer": c.pointer, "type": c.type, "detail": c.detail} for c in error.errors],
    }


@click.command(cls=OperatorCommand)
@click.option("--process", "bpmn_process_id", help="only this BPMN process id")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 1000), help="at most this many")
@click.option("--offset", default=0, show_default=True, type=click.IntRange(0), help="skip this many")
@api_command
def processes(session: Session, bpmn_process_id: str | None, limit: int, offset: int) -> None:
    """List deployed processes (in the order they were deployed)."""
    found = session.client.processes.query(bpmn_process_id=bpmn_process_id, limit=limit, offset=offset, total=True)
    if session.as_json:
        session.emit(results(found))
        return
    out = table("id", "process", "version", "created", "by", "tags")
    for p in found:
        tags = ", ".join(f"{k}={v}" for k, v in p.tags.items())
        out.add_row(str(p.id), p.bpmn_process_id or "", p.version or "", when(p.created_at), p.created_by or "", tags)
    if found:
        session.out.print(out)
    footer(session, found, offset, "processes", filtered=False, order="oldest first")


# -- process instances --------------------------------------------------------------------------------


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
    targets = list(dict.fromkeys(instances))
    if selected:
        matching = every_page(
            lambda offset: api.query(
                bpmn_process_id=bpmn_process_id,
                correlation_key=correlation_key,
                states=OPEN_INSTANCE_STATES,
                offset=offset,
            )
        )
        targets += [(i.partition, i.id) for i in matching if (i.partition, i.id) not in set(targets)]
        confirm_batch("Cancel", len(targets), "instances", assume_yes)
    outcome = run_batch(
        session.err,
        "canceling",
        targets,
        lambda instance: api.cancel(instance, reason=reason),
        concurrency=concurrency,
        show_progress=not session.as_json,
    )
    batch_summary(session, outcome, "canceled", "instances")


def every_page(query: Callable[[int], list[Any]]) -> list[Any]:
    """Every result of a query, page by page (1000 at a time), taken before anything changes."""
    found: list[Any] = []
    while True:
        page = query(len(found))
        found += page
        if len(page) < 1000:
            return found


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


# -- jobs and incidents -------------------------------------------------------------------------------


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
    targets = list(dict.fromkeys(incidents))
    if selected:
        partition, instance_id = instance if instance else (None, None)
        matching = every_page(
            lambda offset: api.query(
                partition=partition, process_instance_id=instance_id, resolved=False, offset=offset
            )
        )
        targets += [(i.partition, i.id) for i in matching if (i.partition, i.id) not in set(targets)]
        confirm_batch("Resolve", len(targets), "incidents", assume_yes)
    outcome = run_batch(
        session.err,
        "resolving",
        targets,
        lambda incident: api.resolve(incident, retry_timer=retry_timer),
        concurrency=concurrency,
        show_progress=not session.as_json,
    )
    batch_summary(session, outcome, "resolved", "incidents")


# -- messages and signals -----------------------------------------------------------------------------


@click.command(name="send-message", cls=OperatorCommand)
@click.argument("name")
@click.option(
    "--correlation-key",
    "--key",
    "correlation_key",
    required=True,
    help="correlation key, as in `start --correlation-key` (--key is the old spelling)",
)
@click.option("--unique-key", help="a second message with the same name, key and unique key is discarded")
@click.option("--var", "variables", multiple=True, help="variable NAME=VALUE (repeatable)")
@click.option("--expires", help="ISO 8601 duration the message waits for a subscriber, e.g. PT1H")
@api_command
def send_message(
    session: Session,
    name: str,
    correlation_key: str,
    unique_key: str | None,
    variables: tuple[str, ...],
    expires: str | None,
) -> None:
    """Send a message (correlated to a waiting subscriber, or buffered until it expires)."""
    message = session.client.messages.send(
        name, correlation_key, variables=parse_pairs(variables), unique_key=unique_key, expiration=expires
    )
    if session.as_json:
        session.emit(message.raw)
    else:
        state = "correlated" if message.correlated else "buffered"
        expiry = f", expires {when(message.expires_at)}" if message.expires_at else ""
        session.out.print(f"message {message.id} {escape(name)} ({escape(correlation_key)}): {state}{expiry}")


@click.command(name="send-signal", cls=OperatorCommand)
@click.argument("name")
@click.option("--var", "variables", multiple=True, help="variable NAME=VALUE (repeatable)")
@api_command
def send_signal(session: Session, name: str, variables: tuple[str, ...]) -> None:
    """Broadcast a signal to every subscriber."""
    signal = session.client.signals.send(name, variables=parse_pairs(variables))
    if session.as_json:
        session.emit(signal.raw)
    else:
        session.out.print(f"signal {signal.id} {escape(name)}: {signal.subscriber_count or 0} subscribers")


# -- variables ----------------------------------------------------------------------------------------


@click.group(name="vars", cls=OperatorGroup)
def vars_group() -> None:
    """Read and set variables of a process instance (or, with --element, an element instance)."""


@vars_group.command(name="get")
@click.argument("instance", type=ADDRESS)
@click.argument("names", nargs=-1)
@click.option("--element", is_flag=True, help="INSTANCE is an element instance")
@api_command
def vars_get(session: Session, instance: tuple[str, int], names: tuple[str, ...], element: bool) -> None:
    """Print variables (all, or the NAMES given)."""
    api = session.client.variables
    values = (api.get_element if element else api.get_process)(instance, names or None, decode=False)
    if session.as_json:
        session.emit({"count": len(values), "variables": [{"name": n, "data": d.to_wire()} for n, d in values.items()]})
        return
    out = table("name", "value", "encoding")
    for name, data in values.items():
        value = json.dumps(data.decode(), indent=None, default=str) if data.encoding == "json" else data.value
        out.add_row(name, escape(value), data.encoding + (" (encrypted)" if data.encrypted else ""))
    session.out.print(out)


@vars_group.command(name="set")
@click.argument("instance", type=ADDRESS)
@click.argument("pairs", nargs=-1, required=True)
@click.option("--element", is_flag=True, help="INSTANCE is an element instance")
@api_command
def vars_set(session: Session, instance: tuple[str, int], pairs: tuple[str, ...], element: bool) -> None:
    """Set variables: NAME=VALUE … (VALUE as JSON if it parses, else text)."""
    values = parse_pairs(pairs, "NAME=VALUE")
    api = session.client.variables
    (api.set_element if element else api.set_process)(instance, values)
    if session.as_json:
        stored = (api.get_element if element else api.get_process)(instance, list(values), decode=False)
        session.emit({"count": len(stored), "variables": [{"name": n, "data": d.to_wire()} for n, d in stored.items()]})
    else:
        session.out.print(f"set {', '.join(values)} on {instance[0]}/{instance[1]}")


# -- user tasks ---------------------------------------------------------------------------------------


@click.group(name="tasks", cls=OperatorGroup, invoke_without_command=True)
@click.option("--assignee", help="only tasks assigned to this user")
@click.option("--candidate-user", help="only tasks this user may claim")
@click.option("--candidate-group", help="only tasks this group may claim")
@click.option(
    "--state",
    "states",
    multiple=True,
    type=click.Choice(USER_TASK_STATES, case_sensitive=False),
    help="only user tasks in this state (repeatable)",
)
@click.option("--instance", type=ADDRESS, help="only tasks of this process instance")
@list_options("user tasks", "STARTED")
@api_command
def tasks_group(
    session: Session,
    assignee: str | None,
    candidate_user: str | None,
    candidate_group: str | None,
    states: tuple[str, ...],
    instance: tuple[str, int] | None,
    show_all: bool,
    limit: int,
    offset: int,
) -> None:
    """List user tasks, newest first; only open ones (STARTED) unless --all or --state.
    `tasks claim|unclaim|assign|complete` work on one."""
    if click.get_current_context().invoked_subcommand is not None:
        return
    partition, instance_id = instance if instance else (None, None)
    found = session.client.user_tasks.query(
        partition=partition,
        process_instance_id=instance_id,
        states=chosen_states(states, show_all, OPEN_USER_TASK_STATES),
        assignee=assignee,
        candidate_user=candidate_user,
        candidate_group=candidate_group,
        limit=limit,
        offset=offset,
        total=True,
        newest_first=True,
    )
    if session.as_json:
        session.emit(results(found))
        return
    out = table("user task", "instance", "element", "name", "state", "assignee", "candidates", "due", "rev")
    for task in found:
        out.add_row(
            ref(task.partition, task.id),
            ref(task.partition, task.process_instance_id),
            task.bpmn_element_id or "",
            escape(task.name or ""),
            styled(task.state),
            task.assignee or "",
            ", ".join([*task.candidate_users, *(f"group:{g}" for g in task.candidate_groups)]),
            when(task.due_date),
            str(task.revision or ""),
        )
    if found:
        session.out.print(out)
    footer(session, found, offset, "user tasks", filtered=not (show_all or states))


def _user_task_done(session: Session, task: Any, verb: str) -> None:
    if session.as_json:
        session.emit(task.raw)
    else:
        who = f", assignee {task.assignee}" if task.assignee else ""
        session.out.print(f"{verb} user task {task.partition}/{task.id}: {styled(task.state)}{escape(who)}")


@tasks_group.command(name="claim")
@click.argument("task", type=ADDRESS)
@click.option("--user", required=True, help="the user who takes the task")
@api_command
def tasks_claim(session: Session, task: tuple[str, int], user: str) -> None:
    """Claim a user task for a user."""
    _user_task_done(session, session.client.user_tasks.claim(task, user), "claimed")


@tasks_group.command(name="unclaim")
@click.argument("task", type=ADDRESS)
@api_command
def tasks_unclaim(session: Session, task: tuple[str, int]) -> None:
    """Remove the assignee of a user task."""
    _user_task_done(session, session.client.user_tasks.unclaim(task), "unclaimed")


@tasks_group.command(name="assign")
@click.argument("task", type=ADDRESS)
@click.option("--assignee", required=True, help="the new assignee")
@api_command
def tasks_assign(session: Session, task: tuple[str, int], assignee: str) -> None:
    """Assign a user task."""
    _user_task_done(session, session.client.user_tasks.assign(task, assignee), "assigned")


@tasks_group.command(name="complete")
@click.argument("task", type=ADDRESS)
@click.option("--var", "variables", multiple=True, help="process variable NAME=VALUE (repeatable)")
@api_command
def tasks_complete(session: Session, task: tuple[str, int], variables: tuple[str, ...]) -> None:
    """Complete a user task (at its current revision)."""
    _user_task_done(session, session.client.user_tasks.complete(task, variables=parse_pairs(variables)), "completed")


# -- engine time --------------------------------------------------------------------------------------


@click.group(name="time", cls=OperatorGroup)
def time_group() -> None:
    """Read or move the engine time (timers fire by it)."""


@time_group.command(name="get")
@api_command
def time_get(session: Session) -> None:
    """Print the engine time."""
    now = session.client.time.get()
    if session.as_json:
        session.emit({"time": now.isoformat().replace("+00:00", "Z")})
    else:
        session.out.print(now.isoformat())


@time_group.command(name="set")
@click.option("--at", "at", help="move to this ISO 8601 time, e.g. 2030-01-01T00:00:00Z")
@click.option("--add", "add", help="move forward by this ISO 8601 duration, e.g. PT1H")
@api_command
def time_set(session: Session, at: str | None, add: str | None) -> None:
    """Move the engine time forward (never backwards)."""
    if bool(at) == bool(add):
        raise click.UsageError("give exactly one of --at and --add")
    now = session.client.time.set(time=at, duration=add)
    if session.as_json:
        session.emit({"time": now.isoformat().replace("+00:00", "Z")})
    else:
        session.out.print(f"engine time is now {now.isoformat()}")


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
