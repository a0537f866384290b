"""The one error type of the engine.

Every failure the engine reports to a caller is an :class:`EngineError` with a kind. The API maps
kinds to HTTP statuses in exactly one place (``api/problems.py``); workers turn them into
incidents. Anything else that escapes the engine is a bug.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ErrorKind(StrEnum):
    """What went wrong, in go-bpmn's vocabulary (the problem ``type`` on the wire)."""

    BUG = "BUG"
    CONFLICT = "CONFLICT"
    EXECUTION = "EXECUTION"
    NOT_FOUND = "NOT_FOUND"
    PROCESS_MODEL = "PROCESS_MODEL"
    QUERY = "QUERY"
    VALIDATION = "VALIDATION"
    LIMIT = "LIMIT"
    NOT_IMPLEMENTED = "NOT_IMPLEMENTED"
    UNAVAILABLE = "UNAVAILABLE"


@dataclass(frozen=True)
class ErrorCause:
    """One reason for an error, pointing at what caused it.

    ``pointer`` is a JSON pointer into the request (``#/variables/a``) or, for a process model,
    the path of the offending BPMN element (``#/process/serviceTask``).
    """

    pointer: str
    type: str
    detail: str
    value: str | None = None


@dataclass
class EngineError(Exception):
    """A failure with a kind, a short title, a detail sentence and optional causes."""

    kind: ErrorKind
    title: str
    detail: str = ""
    causes: list[ErrorCause] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(f"{self.title}: {self.detail}" if self.detail else self.title)

    def __str__(self) -> str:
        return f"{self.title}: {self.detail}" if self.detail else self.title


def not_found(title: str, detail: str) -> EngineError:
    """An error saying that the addressed resource does not exist."""
    return EngineError(ErrorKind.NOT_FOUND, title, detail)


def conflict(title: str, detail: str) -> EngineError:
    """An error saying that the resource is not in a state that allows the command."""
    return EngineError(ErrorKind.CONFLICT, title, detail)


def validation(title: str, detail: str, causes: list[ErrorCause] | None = None) -> EngineError:
    """An error saying that the command's input is invalid in the engine's terms."""
    return EngineError(ErrorKind.VALIDATION, title, detail, causes or [])
