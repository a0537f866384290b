"""``deploy`` (a file or a folder) and ``processes``."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import click
from rich.markup import escape

from cli.arguments import parse_tags
from cli.batch import run_batch
from cli.rendering import footer, problem, report, results, table, when
from cli.session import OperatorCommand, Session, api_command, exit_code
from client import (
    executable_process_ids,
)


def content_version(xml: str) -> str:
    """The default version of ``deploy``: the first 12 hex digits of the document's SHA-256."""
    return hashlib.sha256(xml.encode("utf-8")).hexdigest()[:12]


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
