"""The engine time: ``time get`` and ``time set``."""

from __future__ import annotations

import click

from cli.session import OperatorGroup, Session, api_command


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
