"""Concord facade: ``/api/v1/process…`` mapped onto native commands and queries.

The original API, the mapping and the differences: ``docs/compat-concord.md``.
A payload ZIP is read safely (``payload``); in one transaction (``engine.commands.payloads``) its
BPMN definitions are deployed (``POST /processes``), the ``entryPoint`` is started with
``arguments`` as variables (``POST /process-instances``) and every other file is kept as an
attachment of the instance (``POST /process-instances/{p}/{id}/attachments``), so bad input
changes nothing. Instance ids and statuses: ``terms``; what is read: ``reading``; the status
answer: ``shapes``.
"""

from __future__ import annotations

from typing import Any

from flask import Response, g, request
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields, validate

from api.compat.concord import reading
from api.compat.concord.payload import Limits, read_payload
from api.compat.concord.shapes import entry
from api.compat.concord.terms import TERMINAL, instance_uuid, parse_instance_uuid
from api.context import baton
from api.long_polls import poll
from api.problems import problem
from api.routes.attachments import file_response
from engine.commands.payloads import PayloadFormat, start_payload
from engine.commands.process_instances import cancel_process_instance
from engine.errors import EngineError, ErrorKind, not_found

blp = Blueprint(
    "concord",
    __name__,
    url_prefix="/api/v1/process",
    description="Concord compatibility: start a process from a ZIP payload, watch, stop (docs/compat-concord.md).",
)

# What a payload archive may be (see payload.Limits and docs/compat-concord.md).
LIMITS = Limits()
# The longest ``…/wait`` holds a request (the native wait's bound).
MAX_WAIT_MS = 300_000
# How a Concord payload names its deployments, its main document and its archive.
PAYLOAD_FORMAT = PayloadFormat(version_prefix="concord-", main_pointer="#/_main.json", archive_pointer="#/archive")


def _worker() -> str:
    """Who acts: the name of the request's API key (``concord`` when authentication is off)."""
    return g.get("api_key") or "concord"


# --- start -------------------------------------------------------------------------------------


@blp.route("", methods=["POST"])
@blp.response(200, description='{"instanceId": "<uuid>", "ok": true}')
def start() -> Any:
    """Start a process from a payload ZIP (``Content-Type: application/octet-stream``):
    ``_main.json`` (``entryPoint``, ``arguments``), BPMN under ``processes/``, other files kept
    as attachments. Archives are limited: 10 MB, 50 MB uncompressed, 1000 entries."""
    if request.mimetype != "application/octet-stream":
        return problem(
            415,
            "HTTP_MEDIA_TYPE",
            "unsupported media type",
            f"send the payload ZIP as application/octet-stream (got {request.mimetype or 'no content type'}); "
            "multipart form uploads are not supported",
        )
    payload = read_payload(request.get_data(cache=False), LIMITS)
    context = baton()
    worker = _worker()
    instance = context.run(
        start_payload,
        payload,
        worker,
        context.policy,
        context.settings.max_bpmn_bytes,
        PAYLOAD_FORMAT,
        worker_id=worker,
    )
    return {"instanceId": instance_uuid(instance.partition, instance.id), "ok": True}


# --- status, wait, stop ------------------------------------------------------------------------


@blp.route("/<instance_id>", methods=["GET"])
@blp.response(200, description='{"instanceId", "status", "createdAt", "initiator", "lastUpdatedAt", …}')
def status(instance_id: str) -> Any:
    """The status of a process: RUNNING, FINISHED, FAILED or CANCELLED (also ENQUEUED, SUSPENDED)."""
    day, id = parse_instance_uuid(instance_id)
    return entry(*reading.instance_with_open_incidents(day, id))


class WaitArgs(Schema):
    """``GET /api/v1/process/{id}/wait``."""

    class Meta:
        unknown = RAISE

    timeout = fields.Integer(
        load_default=MAX_WAIT_MS,
        validate=validate.Range(0, MAX_WAIT_MS, error=f"must be between 0 and {MAX_WAIT_MS} ms"),
        metadata={"description": f"milliseconds to wait (default and at most {MAX_WAIT_MS})"},
    )


@blp.route("/<instance_id>/wait", methods=["GET"])
@blp.arguments(WaitArgs, location="query", unknown=RAISE)
@blp.response(200, description="The status, once FINISHED, FAILED or CANCELLED")
@blp.alt_response(408, description="Still running after timeout ms (a TIMEOUT problem)")
def wait(args: dict[str, Any], instance_id: str) -> Any:
    """Wait until the process is FINISHED, FAILED or CANCELLED, at most ``timeout`` ms.

    Woken by the commit that ends the instance (the native wait's notification); a new
    incident is seen within a second.
    """
    day, id = parse_instance_uuid(instance_id)
    context = baton()
    key = f"{day.isoformat()}/{id}"
    current, ended = poll(
        args["timeout"] / 1000.0,
        lambda: entry(*reading.instance_with_open_incidents(day, id)),
        lambda current: current["status"] in TERMINAL,
        lambda _, remaining: context.wakeups.wait_ended(key, remaining),
    )
    if ended:
        return current
    return problem(
        408,
        "TIMEOUT",
        "process still running",
        f"process {current['instanceId']} is {current['status']} after {args['timeout']} ms",
    )


@blp.route("/<instance_id>", methods=["DELETE"])
@blp.response(204, description="Stopped (the instance is CANCELLED)")
def stop(instance_id: str) -> Response:
    """Stop a running process: the native cancel, with its open jobs, tasks and subscriptions."""
    day, id = parse_instance_uuid(instance_id)
    context = baton()
    worker = _worker()
    try:
        context.run(cancel_process_instance, day, id, worker, None, context.policy, worker_id=worker)
    except EngineError as exc:
        if exc.kind is ErrorKind.NOT_FOUND:
            raise not_found("failed to find process", f"process {instance_id} could not be found") from None
        raise
    return Response(status=204)


# --- attachments -------------------------------------------------------------------------------


@blp.route("/<instance_id>/attachment", methods=["GET"])
@blp.response(200, description="The names of the process's attachments")
def attachments(instance_id: str) -> Any:
    """The names of the files kept from the payload (the native attachments)."""
    day, id = parse_instance_uuid(instance_id)
    return reading.attachment_names(day, id)


@blp.route("/<instance_id>/attachment/<path:name>", methods=["GET"])
@blp.response(200, description="The file", content_type="application/octet-stream")
def attachment(instance_id: str, name: str) -> Response:
    """One file of the payload."""
    day, id = parse_instance_uuid(instance_id)
    found, content = reading.attachment(day, id, name)
    return file_response(found.name, found.content_type, found.sha256, content)
