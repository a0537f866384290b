"""Every error as ``application/problem+json`` — the one place engine errors become HTTP.

Shape (go-bpmn): ``{status, type, title, detail, errors: [{pointer, type, detail, value}]}``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from flask import Response, json
from marshmallow import INCLUDE, Schema, fields
from werkzeug.exceptions import HTTPException

from engine.errors import EngineError, ErrorCause, ErrorKind

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


class ErrorCauseSchema(Schema):
    """One cause of a problem: where (a JSON pointer or element id), what, and the bad value."""

    pointer = fields.String()
    type = fields.String()
    detail = fields.String()
    value = fields.String()


class ProblemSchema(Schema):
    """An ``application/problem+json`` error (go-bpmn shape).

    The compatibility facades add their own API's error fields beside these (``code``,
    ``error``, ``request_id``, …), so further properties are allowed.
    """

    class Meta:
        unknown = INCLUDE

    status = fields.Integer(required=True)
    type = fields.String(required=True)
    title = fields.String(required=True)
    detail = fields.String()
    errors = fields.List(fields.Nested(ErrorCauseSchema))


STATUS: dict[ErrorKind, int] = {
    ErrorKind.BUG: 500,
    ErrorKind.CONFLICT: 409,
    ErrorKind.EXECUTION: 422,
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.PROCESS_MODEL: 422,
    ErrorKind.QUERY: 400,
    ErrorKind.VALIDATION: 400,
    ErrorKind.LIMIT: 413,
    ErrorKind.NOT_IMPLEMENTED: 501,
    ErrorKind.UNAVAILABLE: 503,
}

# Problem types for HTTP-level failures (before the engine is involved).
_HTTP_TYPES = {
    400: "HTTP_REQUEST_BODY",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "HTTP_METHOD",
    406: "HTTP_MEDIA_TYPE",
    409: "CONFLICT",
    413: "HTTP_REQUEST_BODY",
    415: "HTTP_MEDIA_TYPE",
    422: "HTTP_REQUEST_BODY",
    429: "TOO_MANY_REQUESTS",
    503: "UNAVAILABLE",
}


def problem(
    status: int,
    type_: str,
    title: str,
    detail: str = "",
    errors: Iterable[ErrorCause] = (),
    headers: Mapping[str, str] | None = None,
) -> Response:
    """A problem response."""
    body: dict[str, Any] = {"status": status, "type": type_, "title": title, "detail": detail}
    causes = [
        {
            k: v
            for k, v in {"pointer": c.pointer, "type": c.type, "detail": c.detail, "value": c.value}.items()
            if v is not None
        }
        for c in errors
    ]
    if causes:
        body["errors"] = causes
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def from_engine_error(exc: EngineError) -> Response:
    """The problem for an engine error."""
    status = STATUS.get(exc.kind, 500)
    if exc.kind is ErrorKind.PROCESS_MODEL and exc.causes and all(c.type == "xml" for c in exc.causes):
        status = 400  # the document cannot be read at all: a bad request, not an invalid model
    if status >= 500 and exc.kind is not ErrorKind.NOT_IMPLEMENTED:
        log.error("engine error %s: %s", exc.kind, exc)
    headers = {"Retry-After": "1"} if exc.kind is ErrorKind.UNAVAILABLE else None
    return problem(status, str(exc.kind), exc.title, exc.detail, exc.causes, headers)


def from_http_exception(exc: HTTPException) -> Response:
    """The problem for a werkzeug HTTP error (404, 405, 413, 415, parse errors, ...)."""
    status = exc.code or 500
    data = getattr(exc, "data", None) or {}
    messages = data.get("messages") if isinstance(data, dict) else None
    if messages:  # a webargs/marshmallow validation error
        # go-bpmn's wording for a body; query parameters and path arguments are not the body
        body_only = isinstance(messages, dict) and set(messages) == {"json"}
        return problem(
            400,
            "HTTP_REQUEST_BODY",
            "invalid request body" if body_only else "invalid request",
            "failed to validate request body" if body_only else "failed to validate request",
            list(causes_from_messages(messages)),
        )
    title = (exc.name or "error").lower()
    detail = exc.description or ""
    if status == 413:
        title = "request body too large"
    elif status == 400 and "json" in detail.lower():
        title = "invalid request body"
    return problem(
        status,
        _HTTP_TYPES.get(status, "HTTP"),
        title,
        detail,
        headers={"Allow": ", ".join(exc.valid_methods)} if getattr(exc, "valid_methods", None) else None,
    )


def causes_from_messages(messages: Any, location_prefix: bool = True) -> Iterable[ErrorCause]:
    """Flatten marshmallow's nested error messages into one cause per field (JSON pointers)."""
    if (
        location_prefix
        and isinstance(messages, dict)
        and set(messages) <= {"json", "query", "view_args", "path", "headers", "form", "files"}
    ):
        for location, nested in messages.items():
            prefix = "#" if location == "json" else f"#/{location}"
            yield from _walk(nested, prefix)
        return
    yield from _walk(messages, "#")


def _walk(messages: Any, pointer: str) -> Iterable[ErrorCause]:
    if isinstance(messages, dict):
        for key, nested in messages.items():
            key_text = "" if key == "_schema" else f"/{_escape(str(key))}"
            yield from _walk(nested, pointer + key_text)
    elif isinstance(messages, list):
        if all(isinstance(m, str) for m in messages):
            for message in messages:
                yield ErrorCause(
                    pointer or "#",
                    getattr(message, "error_type", None) or _type_of(message),
                    _WORDING.get(message, message),
                    getattr(message, "value", None),
                )
        else:
            for index, nested in enumerate(messages):
                yield from _walk(nested, f"{pointer}/{index}")
    elif isinstance(messages, ErrorCause):
        yield messages
    else:
        yield ErrorCause(pointer or "#", "invalid", str(messages))


# marshmallow's wording -> go-bpmn's
_WORDING = {
    "Missing data for required field.": "is required",
    "Unknown field.": "is not a known field",
    "Field may not be null.": "must not be null",
    "Not a valid integer.": "must be an integer",
    "Not a valid string.": "must be a string",
    "Not a valid boolean.": "must be a boolean",
    "Not a valid date.": "must be a date (YYYY-MM-DD)",
    "Not a valid datetime.": "must be an ISO 8601 date-time",
    "Not a valid list.": "must be a list",
    "Invalid input type.": "must be a JSON object",
    "Invalid JSON body.": "is not valid JSON",
}


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _type_of(message: str) -> str:
    lowered = message.lower()
    for word, kind in (
        ("missing data for required field", "required"),
        ("required", "required"),
        ("unknown field", "unknown_field"),
        ("not a valid", "type"),
        ("must be one of", "enum"),
        ("greater than or equal", "gte"),
        ("less than or equal", "lte"),
        ("longer than", "max_length"),
        ("shorter than", "min_length"),
        ("at most", "max"),
        ("at least", "min"),
        ("regex", "pattern"),
    ):
        if word in lowered:
            return kind
    return "invalid"
