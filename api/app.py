"""The Flask application factory (``create_app``): blueprints, problems, auth, OpenAPI, docs."""

from __future__ import annotations

import io
import logging
from http import HTTPStatus
from typing import Any

from apispec import BasePlugin
from flask import Flask, Response, current_app, request
from flask_smorest import Api, Blueprint
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import BadRequest, HTTPException

from api import auth, compat, metrics, problems
from api.context import Baton
from api.wakeups import JobWakeups
from engine.errors import EngineError
from engine.settings import Settings
from engine.store.db import Database, is_connection_error, unavailable
from workers.wiring import Process, wire

log = logging.getLogger(__name__)

# Deepest JSON nesting a request body may have.
MAX_JSON_DEPTH = 64


class _Parser(FlaskParser):
    """Parses JSON bodies, refusing pathological nesting with a 400 instead of a crash."""

    def _raw_load_json(self, req: Any) -> Any:
        try:
            return super()._raw_load_json(req)
        except RecursionError:
            raise BadRequest("JSON body is nested too deeply") from None

    def load_json(self, req: Any, schema: Any) -> Any:
        data = super().load_json(req, schema)
        if _depth(data) > MAX_JSON_DEPTH:
            raise BadRequest(f"JSON body is nested deeper than {MAX_JSON_DEPTH} levels")
        return data


def _limit_unsized_body() -> Response | None:
    """A body sent without a Content-Length (chunked) gets the same 413 as one with a length.

    Werkzeug stops reading such a body at ``MAX_CONTENT_LENGTH`` without saying so, and the cut
    JSON then read as "not valid JSON". Here at most one byte more than the limit is read; a
    longer body is refused at once, without reading the rest. The body read is kept as the
    request's data, so nothing reads the stream again.
    """
    if request.content_length is not None or request.method not in _JSON_METHODS:
        return None
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    body = request.environ["wsgi.input"].read(limit + 1)
    if len(body) > limit:
        request.environ["wsgi.input"] = io.BytesIO()  # nothing more is read from the client
        return problems.problem(
            413, "HTTP_REQUEST_BODY", "request body too large", f"the body is larger than {limit} bytes"
        )
    request._cached_data = body  # what get_data() answers from now on
    return None


def _refuse_nul() -> Response | None:
    """No NUL character in the path, a query argument or a JSON string: PostgreSQL cannot store
    one in text, so it is a 400 here rather than a failed statement later."""
    if "\x00" in request.path or any("\x00" in k or "\x00" in v for k, v in request.args.items(multi=True)):
        return problems.problem(400, "VALIDATION", "invalid request", "the URL must not contain NUL characters")
    if request.method in _JSON_METHODS and request.is_json:
        body = request.get_data(cache=True)
        # In JSON text a NUL can only be written as \u0000; parse only when that sequence occurs.
        if b"\\u0000" in body and _has_nul(request.get_json(silent=True)):
            return problems.problem(
                400, "VALIDATION", "invalid request", "strings must not contain NUL characters (\\u0000)"
            )
    return None


def _has_nul(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _depth(value: Any) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in item.values())
        elif isinstance(item, list):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in item)
    return deepest


Blueprint.ARGUMENTS_PARSER = _Parser()


class _ServerLimits(BasePlugin):
    """Documents on every operation the 414 that gunicorn, not Baton, answers: a request line
    (method, path and query) over 8 KB gets gunicorn's ``text/html`` page before Baton sees it."""

    def operation_helper(self, path: str | None = None, operations: dict[str, Any] | None = None, **_: Any) -> None:
        for operation in (operations or {}).values():
            operation.setdefault("responses", {}).setdefault(
                "414",
                {
                    "description": "Request line over 8 KB, refused by the HTTP server (gunicorn) before Baton",
                    "content": {"text/html": {"schema": {"type": "string"}}},
                },
            )


class _Api(Api):
    # Every error is an application/problem+json problem; the document says so.
    ERROR_SCHEMA = problems.ProblemSchema

    def handle_http_exception(self, error: HTTPException) -> Response:  # type: ignore[override]
        return problems.from_http_exception(error)

    def _register_responses(self) -> None:
        for status in HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if status >= 400:
                response["content"] = {problems.PROBLEM_JSON: {"schema": self.ERROR_SCHEMA}}
            self.spec.components.response(status.name, response, lazy=True)
        self.spec.components.response(
            "DEFAULT_ERROR",
            {"description": "A problem", "content": {problems.PROBLEM_JSON: {"schema": self.ERROR_SCHEMA}}},
            lazy=True,
        )


def create_app(settings: Settings | None = None, *, db: Database | None = None, publisher: Any = None) -> Flask:
    """Build the API: settings from the environment (``BATON_*``) unless given.

    ``publisher`` receives the engine tasks of each committed command; by default the Celery
    publisher for ``settings.broker_url`` (none when no broker is configured). The database,
    clock, variable policy and publisher come from the composition root, :func:`workers.wiring.wire`.
    """
    settings = settings or Settings.from_env()
    app = Flask("baton")
    app.config.update(
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        API_TITLE="Baton",
        API_VERSION="1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={
            "info": {"description": "Baton, a BPMN 2.0 process engine. Native API in the go-bpmn wire format."},
            "components": {"securitySchemes": {"apiKey": {"type": "apiKey", "in": "header", "name": "Authorization"}}},
            "security": [{"apiKey": []}],
        },
    )
    app.json.sort_keys = False  # type: ignore[attr-defined]
    wiring = wire(settings, Process.API, db=db, publisher=publisher)
    app.extensions["baton"] = Baton(
        settings=settings,
        db=wiring.db,
        policy=wiring.policy,
        wakeups=JobWakeups(wiring.db.url),
        task_context=wiring.task_context,
    )

    api = _Api(app, spec_kwargs={"extra_plugins": [_ServerLimits()]})
    # Imported here, once Blueprint.ARGUMENTS_PARSER is ours: @blp.arguments binds the parser when a route module runs.
    from api.routes import (
        attachments,
        docs,
        element_instances,
        engine_tasks,
        incidents,
        jobs,
        messages,
        process_cache,
        process_instances,
        processes,
        signals,
        system,
        user_task_work,
        user_tasks,
    )
    from api.routes import variables as variable_routes

    # /messages and /signals keep the one "events" tag the OpenAPI document has always had.
    events = Blueprint("events", __name__, description="Messages and signals.")
    events.register_blueprint(messages.blp)
    events.register_blueprint(signals.blp)
    for blueprint in (
        processes.blp,
        process_instances.blp,
        element_instances.blp,
        jobs.blp,
        engine_tasks.blp,
        incidents.blp,
        variable_routes.blp,
        user_tasks.blp,
        user_task_work.blp,
        attachments.blp,
        process_cache.blp,
        events,
        system.blp,
    ):
        api.register_blueprint(blueprint)
    app.register_blueprint(docs.blp)
    compat.register(api)
    metrics.instrument(app)
    app.register_blueprint(metrics.blp)
    app.before_request(_limit_unsized_body)
    app.before_request(_check_media_type)
    app.before_request(_refuse_nul)
    app.before_request(auth.check_request)
    app.register_error_handler(EngineError, problems.from_engine_error)
    app.register_error_handler(Exception, _unexpected)
    return app


_JSON_METHODS = frozenset({"POST", "PUT", "PATCH"})


def _check_media_type() -> Response | None:
    """Bodies of JSON endpoints must be JSON (415 otherwise)."""
    if request.method not in _JSON_METHODS or not (request.content_length or request.get_data(cache=True)):
        return None  # no body (a chunked one was read by _limit_unsized_body)
    if request.mimetype == "application/json" or request.mimetype.endswith("+json"):
        return None
    if request.path.startswith("/api/v1/process") and request.mimetype in (
        "application/octet-stream",
        "multipart/form-data",
    ):
        return None  # facades that take archives
    return problems.problem(
        415,
        "HTTP_MEDIA_TYPE",
        "unsupported media type",
        f"expected application/json, got {request.mimetype or 'no content type'}",
    )


def _unexpected(exc: Exception) -> Response:
    if isinstance(exc, HTTPException):
        return problems.from_http_exception(exc)
    if is_connection_error(exc):  # a read outside Database.run met a dead connection
        log.warning("database unavailable in %s %s: %s", request.method, request.path, exc)
        return problems.from_engine_error(unavailable())
    log.exception("unexpected error in %s %s", request.method, request.path)
    return problems.problem(500, "BUG", "unexpected error occurred", "see server logs")
