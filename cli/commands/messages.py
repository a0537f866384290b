"""``send-message``: a message to a waiting subscriber, or buffered until it expires."""

from __future__ import annotations

import click
from rich.markup import escape

from cli.arguments import parse_pairs
from cli.rendering import when
from cli.session import OperatorCommand, Session, api_command


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
