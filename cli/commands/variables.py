"""``vars get`` and ``vars set``."""

from __future__ import annotations

import json

import click
from rich.markup import escape

from cli.arguments import ADDRESS, parse_pairs
from cli.rendering import table
from cli.session import OperatorGroup, Session, api_command


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
