"""``check``: validate BPMN files as a deploy would, without a server."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape

from cli.commands.processes import BPMN_SUFFIXES, bpmn_files
from cli.session import EXIT_FAILURE, OperatorCommand
from engine.commands.processes import ProcessCheck, check_document
from engine.errors import EngineError
from engine.model.document import DEFAULT_MAX_BYTES


@click.command(cls=OperatorCommand)
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--process", "process_ids", multiple=True, help="check only this BPMN process id (repeatable)")
@click.option("--json", "as_json", is_flag=True, help="print the checks as JSON")
def check(path: Path, process_ids: tuple[str, ...], as_json: bool) -> None:
    """Check that a BPMN file (or every BPMN file in a folder) would deploy, without a server.

    For each process it prints whether it deploys, every cause why not, and the warnings: what
    Baton reads leniently from models written for other engines. A process marked
    isExecutable="false" is a diagram only and is reported as such. The rules are those of a
    deploy, except what needs the database (a message start name used by another deployed
    process). Exit code 0 when every executable process deploys, else 1.
    """
    files = bpmn_files(path)
    if not files:
        raise click.BadParameter(f"no BPMN file ({', '.join(BPMN_SUFFIXES)}) under {path}", param_hint="PATH")
    out = Console(width=None if sys.stdout.isatty() else 160, highlight=False)
    failed = False
    document: list[dict[str, object]] = []
    for file in files:
        checks, unreadable = _check_file(file, process_ids)
        failed |= unreadable is not None or any(c.executable and not c.valid for c in checks)
        failed |= not any(c.executable for c in checks)
        if as_json:
            document.append(_as_json(file, checks, unreadable))
        else:
            _print(out, file, checks, unreadable)
    if as_json:
        click.echo(json.dumps(document if len(files) > 1 else document[0], indent=2))
    if failed:
        click.get_current_context().exit(EXIT_FAILURE)


def _check_file(file: Path, process_ids: tuple[str, ...]) -> tuple[list[ProcessCheck], EngineError | None]:
    xml = file.read_text(encoding="utf-8", errors="replace")
    try:
        if not process_ids:
            return check_document(xml, max_bpmn_bytes=DEFAULT_MAX_BYTES), None
        return [
            c for pid in process_ids for c in check_document(xml, max_bpmn_bytes=DEFAULT_MAX_BYTES, bpmn_process_id=pid)
        ], None
    except EngineError as exc:
        return [], exc


def _print(out: Console, file: Path, checks: list[ProcessCheck], unreadable: EngineError | None) -> None:
    name = escape(str(file))
    if unreadable is not None:
        out.print(f"[red]✗[/] {name}: {escape(unreadable.detail)}")
        for cause in unreadable.causes[1:]:
            out.print(f"    {escape(cause.detail)}")
        return
    if not checks:
        out.print(f"[red]✗[/] {name}: no process")
    for c in checks:
        if not c.executable:
            mark, verdict = "[dim]-[/]", 'is a diagram only (isExecutable="false"); not deployed'
        elif c.valid:
            mark, verdict = "[green]✓[/]", "deploys"
        else:
            mark, verdict = "[red]✗[/]", f"is refused: {len(c.causes)} cause(s)"
        out.print(f"{mark} {name} process [bold]{escape(c.bpmn_process_id)}[/] {verdict}")
        if c.executable:
            for cause in c.causes:
                out.print(f"    [red]cause[/] {escape(cause.pointer)}: {escape(cause.detail)}")
        for warning in c.warnings:
            out.print(f"    [yellow]warning[/] {escape(warning.pointer)}: {escape(warning.detail)}")


def _as_json(file: Path, checks: list[ProcessCheck], unreadable: EngineError | None) -> dict[str, object]:
    def causes(items: object) -> list[dict[str, object]]:
        return [
            {k: v for k, v in {"pointer": c.pointer, "type": c.type, "detail": c.detail, "value": c.value}.items() if v}
            for c in items  # type: ignore[attr-defined]
        ]

    if unreadable is not None:
        return {"file": str(file), "valid": False, "causes": causes(unreadable.causes), "processes": []}
    return {
        "file": str(file),
        "valid": any(c.executable for c in checks) and all(c.valid for c in checks if c.executable),
        "processes": [
            {
                "bpmnProcessId": c.bpmn_process_id,
                "executable": c.executable,
                "valid": c.valid,
                "causes": causes(c.causes),
                "warnings": causes(c.warnings),
            }
            for c in checks
        ],
    }
