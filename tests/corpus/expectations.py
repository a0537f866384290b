"""``expectations.toml``: which corpus files Baton refuses, and which deployed processes do not
complete under the generic driver, each with its reason.

Three tables, one line per entry so that updating them is deleting or pasting lines (a failing
test prints the line to paste):

- ``refused``: files that must not deploy. ``category`` is one of :data:`CATEGORIES`; ``match``
  must appear in a cause of the refusal (case-insensitive); ``reason`` is for people.
- ``pending``: files refused today for a reason someone is fixing (an expression dialect, a
  parsing leniency). Same fields; the table goes away once that work lands.
- ``not_completed``: ``"<file>#<process id>"`` of deployed processes whose instance does not
  reach COMPLETED under the driver, with a ``reason``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

PATH = Path(__file__).with_name("expectations.toml")

CATEGORIES = ("diagram-only", "malformed", "next-issue", "invalid-by-design", "not-run-by-design")
PENDING = "pending"


@dataclass(frozen=True)
class Refusal:
    """Why a file must be refused, and the text a cause of the refusal must contain."""

    category: str
    match: str
    reason: str


@dataclass(frozen=True)
class Expectations:
    refused: dict[str, Refusal]
    not_completed: dict[str, str]

    def refusal(self, name: str) -> Refusal | None:
        return self.refused.get(name)


@cache
def load() -> Expectations:
    """The expectations file, checked for shape (a bad entry fails every test that reads it)."""
    data = tomllib.loads(PATH.read_text())
    refused: dict[str, Refusal] = {}
    for name, entry in data.get("refused", {}).items():
        if entry.get("category") not in CATEGORIES:
            raise ValueError(f"{PATH.name}: [refused] {name}: category must be one of {CATEGORIES}")
        refused[name] = Refusal(entry["category"], entry["match"], entry.get("reason", ""))
    for name, entry in data.get("pending", {}).items():
        if name in refused:
            raise ValueError(f"{PATH.name}: {name} is both in [refused] and [pending]")
        refused[name] = Refusal(PENDING, entry["match"], entry.get("reason", ""))
    not_completed = {key: entry["reason"] for key, entry in data.get("not_completed", {}).items()}
    return Expectations(refused, not_completed)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def refused_line(name: str, category: str, match: str, reason: str) -> str:
    """An entry of ``[refused]`` or ``[pending]`` as it is written in the file."""
    fields = [] if category == PENDING else [f"category = {_quote(category)}"]
    fields += [f"match = {_quote(match)}", f"reason = {_quote(reason)}"]
    return f"{_quote(name)} = {{ {', '.join(fields)} }}"


def not_completed_line(key: str, reason: str) -> str:
    """An entry of ``[not_completed]`` as it is written in the file."""
    return f"{_quote(key)} = {{ reason = {_quote(reason)} }}"
