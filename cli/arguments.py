"""Arguments and options operator commands share: ``NAME=VALUE`` pairs, ``PARTITION/ID``
addresses, and the ``--all``/``--limit``/``--offset`` of list commands."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

import click

from client import parse_address


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
