"""Atom Engine facade: ``/api/v1/processes…`` mapped onto native commands and queries.

The original API, the mapping and the differences: ``docs/compat-atom.md``. Every answer uses
Atom's envelope ``{success, data, request_id}``; every error is ``application/problem+json`` that
also carries Atom's ``success: false`` and ``error: {code, message, details}``. Instance ids are
``pi-YYYYMMDD-<id>`` (``terms``). What is read comes from ``reading``; the answers are shaped by
``shapes``, ``typed_shapes`` and ``stats_shapes``.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta
from typing import Any

from flask import Response, g, request
from flask_smorest import Blueprint
from marshmallow import RAISE, ValidationError

from api.compat.atom import reading, shapes, stats_shapes
from api.compat.atom import typed_shapes as typed
from api.compat.atom.args import (
    MAX_REASON,
    CancelArgs,
    InfoArgs,
    ListArgs,
    StartArgs,
    StatsArgs,
    TokenArgs,
    TraceArgs,
    TypedListArgs,
)
from api.compat.atom.terms import BASE_STATUSES, TYPED_STATUSES, parse_instance_key
from api.context import baton
from api.problems import PROBLEM_JSON, problem
from engine.commands.process_instances import CreateProcessInstance, create_process_instance
from engine.errors import ErrorCause, validation
from engine.queries.paging import Page
from engine.queries.snapshots import Snapshot
from engine.variables import VariableChange, from_value

blp = Blueprint(
    "atom",
    __name__,
    url_prefix="/api/v1/processes",
    description="Atom Engine compatibility: process instances (see docs/compat-atom.md).",
)

# Atom sort_by -> engine.queries.process_instances.SORT_KEYS
_SORT = {"started_at": "created_at", "updated_at": "ended_at", "status": "state", "process_id": "bpmn_process_id"}
_PERIODS = {"1h": timedelta(hours=1), "24h": timedelta(days=1), "7d": timedelta(days=7), "30d": timedelta(days=30)}
_REQUEST_ID = re.compile(r"[\w.:-]{1,128}")


# --- the envelope and errors ------------------------------------------------------------------


def _request_id() -> str:
    if "atom_request_id" not in g:
        given = request.headers.get("X-Request-ID", "")
        g.atom_request_id = given if _REQUEST_ID.fullmatch(given) else f"req_{uuid.uuid4().hex[:20]}"
    return g.atom_request_id


def _ok(data: Any, status: int = 200) -> Response:
    body = {"success": True, "data": data, "request_id": _request_id()}
    return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json")


def _worker() -> str:
    """Who acts: the name of the request's API key (``atom`` when authentication is off)."""
    return g.get("api_key") or "atom"


@blp.before_request
def _json_bodies_only() -> Response | None:
    """Atom takes JSON bodies (the app lets archives through under /api/v1/process…)."""
    if request.content_length and request.mimetype != "application/json" and not request.mimetype.endswith("+json"):
        return problem(415, "HTTP_MEDIA_TYPE", "unsupported media type", "expected application/json")
    return None


@blp.after_request
def _atom_error(response: Response) -> Response:
    """Add Atom's error members to every problem (they stay valid problem+json)."""
    if response.mimetype != PROBLEM_JSON:
        return response
    body = json.loads(response.get_data())
    errors = body.get("errors") or []
    details: dict[str, Any] = {}
    if errors:
        details["field_errors"] = {_field(e.get("pointer", "#")): e.get("detail") for e in errors}
    message = body.get("detail") or body.get("title")
    if errors and body.get("type") == "HTTP_REQUEST_BODY":
        message = "; ".join(f"{_field(e.get('pointer', '#'))}: {e.get('detail')}" for e in errors)
    body.update(
        success=False,
        error={
            "code": _code(body.get("type", ""), response.status_code),
            "message": message,
            "details": details or None,
        },
        request_id=_request_id(),
    )
    response.set_data(json.dumps(body, ensure_ascii=False))
    return response


def _field(pointer: str) -> str:
    parts = [p for p in pointer.lstrip("#").split("/") if p and p not in ("query", "json", "view_args")]
    return ".".join(parts) or "request"


def _code(problem_type: str, status: int) -> str:
    endpoint = request.endpoint or ""
    if status == 404 and problem_type == "NOT_FOUND":
        return "PROCESS_NOT_FOUND" if endpoint.endswith(("start", "start_typed")) else "PROCESS_INSTANCE_NOT_FOUND"
    if status == 409 and endpoint.endswith(("cancel", "cancel_typed")):
        return "PROCESS_NOT_CANCELLABLE"
    codes = {
        400: "VALIDATION_ERROR",
        401: "UNAUTHORIZED",
        403: "FORBIDDEN",
        404: "NOT_FOUND",
        405: "METHOD_NOT_ALLOWED",
        409: "CONFLICT",
        413: "PAYLOAD_TOO_LARGE",
        415: "UNSUPPORTED_MEDIA_TYPE",
        422: "INVALID_PROCESS_MODEL" if problem_type == "PROCESS_MODEL" else "VALIDATION_ERROR",
        501: "NOT_IMPLEMENTED",
        503: "SERVICE_UNAVAILABLE",
    }
    return codes.get(status, "INTERNAL_ERROR")


def _single_tenant(tenant_id: str | None) -> None:
    if tenant_id not in (None, shapes.TENANT):
        raise validation(
            "unknown tenant",
            f"Baton has one tenant, {shapes.TENANT!r}",
            [ErrorCause("#/tenant_id", "enum", f"must be {shapes.TENANT}", tenant_id)],
        )


# --- start and list ---------------------------------------------------------------------------


def _start(data: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    _single_tenant(data.get("tenant_id"))
    context = baton()
    variables = data["variables"]
    version = data.get("version")
    cmd = CreateProcessInstance(
        bpmn_process_id=data.get("process_id") or data["process_key"],
        version=None if version is None else str(version),
        correlation_key=data.get("business_key"),
        variables=[VariableChange(name, from_value(value)) for name, value in variables.items()],
        worker_id=_worker(),
    )
    instance = context.run(create_process_instance, cmd, context.policy, worker_id=cmd.worker_id)
    return instance, variables


@blp.route("", methods=["POST"])
@blp.arguments(StartArgs)
@blp.response(201, description="Started: {success, data: instance, request_id}")
def start(data: dict[str, Any]) -> Response:
    """Start the latest (or the given) version of a process with ``variables`` (JSON values).

    The instance is created at once and started by a worker right after the commit, so
    ``current_activities`` is usually still empty in this answer.
    """
    instance, variables = _start(data)
    return _ok({**shapes.summary(instance, variables), "current_activities": []}, 201)


@blp.route("/typed", methods=["POST"])
@blp.arguments(StartArgs)
@blp.response(201, description="Started: the typed ProcessStartResponse")
def start_typed(data: dict[str, Any]) -> Response:
    """``POST /api/v1/processes`` with the typed answer (variable types and native address)."""
    instance, variables = _start(data)
    return _ok(typed.started(instance, variables), 201)


def _list(args: dict[str, Any], statuses: dict[str, tuple[str, ...]]) -> tuple[list[Any], int, int, int, list[Any]]:
    _single_tenant(args.get("tenant_id"))
    size = args.get("limit") or args["page_size"]
    page = args["page"]
    states = statuses[args["status"]] if "status" in args else ()
    criteria = {
        "bpmn_process_id": args.get("process_id") or args.get("process_key"),
        "started_after": args.get("started_after"),
        "started_before": args.get("started_before"),
    }
    found = reading.instance_page(
        states, _SORT[args["sort_by"]], args["sort_order"] == "DESC", Page((page - 1) * size, size), criteria
    )
    return found.instances, found.total, page, size, found.extras


def _pagination(page: int, size: int, total: int) -> dict[str, Any]:
    pages = (total + size - 1) // size
    return {
        "page": page,
        "page_size": size,
        "total_count": total,
        "total_pages": pages,
        "has_next": page < pages,
        "has_prev": page > 1,
    }


@blp.route("", methods=["GET"])
@blp.arguments(ListArgs, location="query", unknown=RAISE)
@blp.response(200, description="{success, data: {processes, pagination}, request_id}")
def list_instances(args: dict[str, Any]) -> Response:
    """Instances filtered by ``status``, ``process_id``, ``started_after``/``started_before``,
    a page of ``page_size`` (at most 100) sorted by ``sort_by``/``sort_order``."""
    rows, total, page, size, extra = _list(args, BASE_STATUSES)
    processes = [shapes.summary(row, variables, current) for row, (variables, current) in zip(rows, extra, strict=True)]
    return _ok({"processes": processes, "pagination": _pagination(page, size, total)})


@blp.route("/typed", methods=["GET"])
@blp.arguments(TypedListArgs, location="query", unknown=RAISE)
@blp.response(200, description="The typed ProcessListResponse")
def list_typed(args: dict[str, Any]) -> Response:
    """The list in the typed shape (statuses SUSPENDED and FAILED as well)."""
    rows, total, page, size, extra = _list(args, TYPED_STATUSES)
    instances = [
        typed.details(row, variables, current_activity=current)
        for row, (variables, current) in zip(rows, extra, strict=True)
    ]
    return _ok(
        {
            "instances": instances,
            "total_count": total,
            "has_more": page * size < total,
            "pagination": _pagination(page, size, total),
        }
    )


@blp.route("/stats", methods=["GET"])
@blp.arguments(StatsArgs, location="query", unknown=RAISE)
@blp.response(200, description="{success, data: statistics, request_id}")
def stats(args: dict[str, Any]) -> Response:
    """Instance counts by status and by process over a ``period`` (1h, 24h, 7d, 30d, all)."""
    _single_tenant(args.get("tenant_id"))
    now = baton().db.clock.now()
    after = now - _PERIODS[args["period"]] if args["period"] in _PERIODS else None
    counts = reading.counts(args.get("process_id"), after)
    return _ok(stats_shapes.stats(counts, args["period"], now))


# --- one instance -----------------------------------------------------------------------------


@blp.route("/<instance_id>", methods=["GET"])
@blp.response(200, description="{success, data: status, request_id}")
def get_status(instance_id: str) -> Response:
    """Status, variables, current and completed activities, progress."""
    snapshot = reading.snapshot(instance_id)
    return _ok(shapes.status(snapshot))


@blp.route("/<instance_id>/typed", methods=["GET"])
@blp.response(200, description="The typed ProcessInstanceDetails")
def get_typed(instance_id: str) -> Response:
    """The status in the typed shape (with the error of an open incident, if any)."""
    snapshot = reading.snapshot(instance_id, details=True)
    return _ok(typed.details(snapshot.instance, snapshot.variables, snapshot.tokens, snapshot.incidents))


@blp.route("/<instance_id>/info", methods=["GET"])
@blp.arguments(InfoArgs, location="query", unknown=RAISE)
@blp.response(200, description="{success, data: detailed information, request_id}")
def get_info(args: dict[str, Any], instance_id: str) -> Response:
    """Definition, status, context, current state, jobs; history, variables and incidents unless
    excluded (``include_history``, ``include_variables``, ``include_incidents``)."""
    snapshot = reading.snapshot(instance_id, details=True)
    sections = {name for name in ("history", "variables", "incidents") if args[f"include_{name}"]}
    return _ok(shapes.info(snapshot, baton().db.clock.now(), sections))


@blp.route("/<instance_id>/tokens", methods=["GET"])
@blp.arguments(TokenArgs, location="query", unknown=RAISE)
@blp.response(200, description="{success, data: {tokens, summary}, request_id}")
def get_tokens(args: dict[str, Any], instance_id: str) -> Response:
    """The instance's tokens (element instances), filtered by ``state`` and ``element_type``."""
    snapshot = reading.snapshot(instance_id, details=True)
    return _ok(shapes.tokens(snapshot, args.get("state"), args.get("element_type"), args["include_completed"]))


@blp.route("/<instance_id>/tokens/typed", methods=["GET"])
@blp.response(200, description="The typed TokenListResponse")
def get_tokens_typed(instance_id: str) -> Response:
    """Every token in the typed shape."""
    snapshot = reading.snapshot(instance_id)
    tokens = typed.tokens(snapshot)
    return _ok({"tokens": tokens, "total_count": len(tokens), "has_more": False})


@blp.route("/<instance_id>/tokens/trace", methods=["GET"])
@blp.arguments(TraceArgs, location="query", unknown=RAISE)
@blp.response(200, description="{success, data: trace, request_id}")
def get_trace(args: dict[str, Any], instance_id: str) -> Response:
    """The execution trace: every token state change in order (``format=summary``: the path)."""
    snapshot = reading.snapshot(instance_id, events=True)
    events = [
        e
        for e in snapshot.trace
        if ("start_time" not in args or e.time >= args["start_time"])
        and ("end_time" not in args or e.time <= args["end_time"])
    ]
    data = shapes.trace(snapshot, events, args["format"], baton().db.clock.now())
    if args["include_variables"]:
        data["variables"] = snapshot.variables
    return _ok(data)


@blp.route("/<instance_id>/trace/typed", methods=["GET"])
@blp.response(200, description="The typed ProcessTraceResponse")
def get_trace_typed(instance_id: str) -> Response:
    """The trace in the typed shape: tokens, execution path, timeline."""
    snapshot = reading.snapshot(instance_id, events=True)
    return _ok(typed.trace(snapshot, snapshot.trace))


# --- cancel -----------------------------------------------------------------------------------


def _reason(args: dict[str, Any]) -> str | None:
    """``?reason=`` or, as Atom's server also takes it, ``{"reason": …}`` in a JSON body."""
    reason = args.get("reason")
    body = request.get_json(silent=True) if request.content_length else None
    if reason is None and isinstance(body, dict) and body.get("reason") is not None:
        try:
            reason = CancelArgs().load({"reason": body["reason"]})["reason"]
        except ValidationError as exc:
            raise validation(
                "invalid reason",
                "; ".join(exc.messages.get("reason", [])),  # type: ignore[union-attr]
                [ErrorCause("#/reason", "max_length", f"must be at most {MAX_REASON} characters")],
            ) from None
    return reason


def _cancel(instance_id: str, reason: str | None) -> Snapshot:
    day, id = parse_instance_key(instance_id)
    return reading.cancel(day, id, _worker(), reason)


@blp.route("/<instance_id>", methods=["DELETE"])
@blp.arguments(CancelArgs, location="query", unknown=RAISE)
@blp.response(200, description="{success, data: cancellation, request_id}")
def cancel(args: dict[str, Any], instance_id: str) -> Response:
    """Cancel an active instance (``reason`` at most 500 characters, kept as its end reason)."""
    snapshot = _cancel(instance_id, _reason(args))
    return _ok(shapes.cancellation(snapshot))


@blp.route("/<instance_id>/typed", methods=["DELETE"])
@blp.arguments(CancelArgs, location="query", unknown=RAISE)
@blp.response(200, description="The typed ProcessCancelResponse")
def cancel_typed(args: dict[str, Any], instance_id: str) -> Response:
    """Cancel, with the typed answer."""
    snapshot = _cancel(instance_id, _reason(args))
    return _ok(typed.cancelled(snapshot))
