"""Errors of the Baton API as Python exceptions.

Every error response of Baton is ``application/problem+json``:
``{status, type, title, detail, errors: [{pointer, type, detail, value}]}``. It is raised as one
subclass of :class:`BatonError` chosen by the HTTP status, carrying those fields. A request that
never got an answer (connection refused, timeout) raises :class:`Unavailable` with ``status``
``None``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests


@dataclass(frozen=True)
class ProblemCause:
    """One cause of a problem: a JSON pointer into the request (or a BPMN element id) and why."""

    pointer: str | None = None
    type: str | None = None
    detail: str | None = None
    value: Any = None

    def __str__(self) -> str:
        text = f"{self.pointer or '#'}: {self.detail or self.type or 'invalid'}"
        return f"{text} ({self.value!r})" if self.value not in (None, "") else text


class BatonError(Exception):
    """An error answer of the Baton API (or no answer at all).

    Attributes mirror the problem document: ``status`` (HTTP status, ``None`` when there was no
    response), ``type`` (``NOT_FOUND``, ``CONFLICT``, ``HTTP_REQUEST_BODY``, ``PROCESS_MODEL``, …),
    ``title``, ``detail`` and ``errors`` (a list of :class:`ProblemCause`). ``hint`` is the
    client's own advice, if any: for a 401, where the API key came from or where none was found.
    """

    def __init__(
        self,
        status: int | None,
        type: str | None,
        title: str,
        detail: str = "",
        errors: list[ProblemCause] | None = None,
    ) -> None:
        self.status = status
        self.type = type
        self.title = title
        self.detail = detail
        self.errors = list(errors or [])
        self.hint = ""
        super().__init__(self._message())

    def _message(self) -> str:
        head = f"{self.status} {self.title}" if self.status else self.title
        text = f"{head}: {self.detail}" if self.detail else head
        if self.errors:
            text += "".join(f"\n  {cause}" for cause in self.errors)
        return text

    def __str__(self) -> str:
        return f"{self._message()}\n{self.hint}" if self.hint else self._message()


class InvalidRequest(BatonError):
    """The request was refused as invalid: 400, 413, 415 or 422 (an invalid BPMN model)."""


class Unauthorized(BatonError):
    """No API key, or one that is unknown or revoked: 401 (403)."""


class NotFound(BatonError):
    """The resource (or the endpoint) does not exist: 404 (405 for a method the path lacks)."""


class Conflict(BatonError):
    """The request contradicts the current state: 409 (e.g. a job completed twice)."""


class Unavailable(BatonError):
    """Baton cannot serve the request now: 503, 429, or no answer (connection failure, timeout)."""


class ServerError(BatonError):
    """Baton failed: 500, 501 (a BPMN element not implemented yet), 502, 504 or another 5xx."""


_BY_STATUS: dict[int, type[BatonError]] = {
    400: InvalidRequest,
    401: Unauthorized,
    403: Unauthorized,
    404: NotFound,
    405: NotFound,
    409: Conflict,
    413: InvalidRequest,
    415: InvalidRequest,
    422: InvalidRequest,
    429: Unavailable,
    503: Unavailable,
}


def error_class(status: int) -> type[BatonError]:
    """The :class:`BatonError` subclass of an HTTP status."""
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    return ServerError if status >= 500 else BatonError


def error_from_response(response: requests.Response) -> BatonError:
    """The exception for an error response, from its problem document when it has one."""
    status = response.status_code
    problem: dict[str, Any] = {}
    try:
        body = response.json()
        if isinstance(body, dict):
            problem = body
    except ValueError:
        pass
    causes = [
        ProblemCause(c.get("pointer"), c.get("type"), c.get("detail"), c.get("value"))
        for c in problem.get("errors") or []
        if isinstance(c, dict)
    ]
    title = problem.get("title") or response.reason or f"HTTP {status}"
    detail = problem.get("detail")
    if detail is None:
        detail = "" if problem else response.text[:500].strip()
    return error_class(status)(
        status=status,
        type=problem.get("type"),
        title=str(title),
        detail=str(detail),
        errors=causes,
    )


def connection_error(url: str, exc: BaseException) -> Unavailable:
    """The exception for a request that got no answer."""
    return Unavailable(None, "CONNECTION", f"cannot reach Baton at {url}", str(exc))
