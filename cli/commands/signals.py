"""``send-signal``: a signal broadcast to every subscriber."""

from __future__ import annotations

import click
from rich.markup import escape

from cli.arguments import parse_pairs
from cli.session import OperatorCommand, Session, api_command


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
