"""Concord facade: ``/api/v1/process…`` mapped onto native commands and queries.

The original API, the mapping and the differences: ``docs/compat-concord.md``.
A payload ZIP is read safely (``concord_payload``); in one transaction its BPMN definitions are
deployed (``POST /processes``), the ``entryPoint`` is started with ``arguments`` as variables
(``POST /process-instances``) and every other file is kept as an attachment of the instance
(``POST /process-instances/{p}/{id}/attachments``), so bad input changes nothing.

Instance ids are UUIDs that encode the native address reversibly, so no id table exists:
``20250501-ba70-8000-8000-000000000576`` is process instance ``2025-05-01/576`` (UUID version 8,
RFC 9562: the partition's digits, the marker ``ba70``, the id as twelve decimal digits).
"""

from __future__ import annotations

import re
import time
import uuid
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from flask import Response, g, request
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields, validate

from api.compat.concord_payload import Limits, Payload, read_payload
from api.context import baton
from api.problems import problem
from api.routes.attachments import file_response
from engine.commands.attachments import add_attachments
from engine.commands.process_instances import CreateProcessInstance, cancel_process_instance, create_process_instance
from engine.commands.processes import CreateProcess, create_process, xml_hash
from engine.errors import EngineError, ErrorCause, ErrorKind, not_found, validation
from engine.model import parse_definitions
from engine.queries.attachments import query_attachments, read_attachment
from engine.queries.incidents import query_incidents
from engine.queries.process_instances import query_process_instances
from engine.queries.processes import query_processes
from engine.queries.records import ProcessInstance
from engine.store.db import Tx
from engine.variables import Policy, VariableChange, from_value
from engine.variables import check as check_variables

blp = Blueprint(
    "concord",
    __name__,
    url_prefix="/api/v1/process",
    description="Concord compatibility: start a process from a ZIP payload, watch, stop (docs/compat-concord.md).",
)

INT32_MAX = 2**31 - 1
# What a payload archive may be (see concord_payload.Limits and docs/compat-concord.md).
LIMITS = Limits()
# The longest ``…/wait`` holds a request (the native wait's bound).
MAX_WAIT_MS = 300_000
_UUID = re.compile(r"(\d{8})-ba70-8000-8000-(\d{12})")

# Native state -> Concord status. FAILED also covers a running instance with an open incident.
STATUS = {
    "CREATED": "RUNNING",
    "STARTED": "RUNNING",
    "QUEUED": "ENQUEUED",
    "SUSPENDED": "SUSPENDED",
    "COMPLETED": "FINISHED",
    "CANCELED": "CANCELLED",
    "TERMINATED": "FAILED",
}
TERMINAL = frozenset({"FINISHED", "FAILED", "CANCELLED"})


# --- ids ----------------------------------------------------------------------------------------


def instance_uuid(partition: date, id: int) -> str:
    """The Concord id of a native process instance."""
    return f"{partition.strftime('%Y%m%d')}-ba70-8000-8000-{id:012d}"


def parse_instance_uuid(text: str) -> tuple[date, int]:
    """The native address of a Concord id: 400 for a non-UUID, 404 for a UUID that names none."""
    try:
        canonical = str(uuid.UUID(text))
    except ValueError:
        raise validation(
            "invalid instance id",
            f"{text[:100]!r} is not a UUID",
            [ErrorCause("#/instanceId", "format", "must be a UUID", text[:100])],
        ) from None
    match = _UUID.fullmatch(canonical)
    missing = not_found("failed to find process", f"process {canonical} could not be found")
    if match is None:
        raise missing
    try:
        day = datetime.strptime(match.group(1), "%Y%m%d").date()
    except ValueError:
        raise missing from None
    id = int(match.group(2))
    if not 0 < id <= INT32_MAX:
        raise missing
    return day, id


# --- status ------------------------------------------------------------------------------------


def _timestamp(moment: datetime | None) -> str | None:
    """Concord's timestamps: ``2017-07-19T16:31:39.331+0000``."""
    if moment is None:
        return None
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def _read_status(conn: sa.Connection, day: date, id: int) -> dict[str, Any]:
    found = query_process_instances(conn, partition=day, id=id)
    if not found:
        raise not_found("failed to find process", f"process {instance_uuid(day, id)} could not be found")
    instance = found[0]
    incidents = query_incidents(conn, partition=day, process_instance_id=id, resolved=False)
    return entry(instance, len(incidents))


def entry(instance: ProcessInstance, open_incidents: int) -> dict[str, Any]:
    """A process as Concord's status request answers it."""
    status = STATUS.get(instance.state, "RUNNING")
    if status in ("RUNNING", "SUSPENDED") and open_incidents:
        status = "FAILED"
    body: dict[str, Any] = {"instanceId": instance_uuid(instance.partition, instance.id)}
    if instance.parent_id is not None:
        body["parentInstanceId"] = instance_uuid(instance.partition, instance.parent_id)
    body.update(
        status=status,
        createdAt=_timestamp(instance.created_at),
        initiator=instance.created_by,
        lastUpdatedAt=_timestamp(instance.ended_at or instance.started_at or instance.created_at),
        entryPoint=instance.bpmn_process_id,
        baton={
            "partition": instance.partition.isoformat(),
            "id": instance.id,
            "state": instance.state,
            "version": instance.version,
            "openIncidents": open_incidents,
            "endReason": instance.end_reason,
        },
    )
    return body


def _worker() -> str:
    """Who acts: the name of the request's API key (``concord`` when authentication is off)."""
    return g.get("api_key") or "concord"


# --- start -------------------------------------------------------------------------------------


def _in_file(exc: EngineError, path: str) -> EngineError:
    """The same error, saying which archive entry it is about."""
    return EngineError(exc.kind, exc.title, f"{path}: {exc.detail}", exc.causes)


def start_payload(tx: Tx, payload: Payload, worker: str, policy: Policy, max_bpmn_bytes: int) -> ProcessInstance:
    """Deploy the payload's definitions, start its entry point, keep its files: one transaction.

    Each document is deployed as version ``concord-<first 16 hex digits of its SHA-256>``, so
    sending the same payload again reuses the deployed process. The entry point is a process of
    the payload (that version) or, failing that, the latest deployed version of that id.
    """
    versions: dict[str, str] = {}
    for definition in payload.definitions:
        try:
            document = parse_definitions(definition.xml, max_bytes=max_bpmn_bytes)
            executable = [p.id for p in document.processes if p.process.is_executable]
            if not executable:
                raise EngineError(
                    ErrorKind.PROCESS_MODEL,
                    "invalid process model",
                    "the document has no executable process",
                    [ErrorCause("#", "executable", 'no process has isExecutable="true"')],
                )
            version = "concord-" + xml_hash(definition.xml)[:16]
            for process_id in executable:
                if process_id in versions:
                    raise validation("invalid payload", f"process {process_id} is defined twice in processes/")
                cmd = CreateProcess(
                    bpmn_process_id=process_id, bpmn_xml=definition.xml, version=version, worker_id=worker
                )
                create_process(tx, cmd, max_bpmn_bytes=max_bpmn_bytes)
                versions[process_id] = version
        except EngineError as exc:
            raise _in_file(exc, definition.path) from None
    entry_point = payload.entry_point
    if entry_point not in versions and not query_processes(tx.conn, bpmn_process_id=entry_point):
        known = ", ".join(sorted(versions)) or "none"
        raise EngineError(
            ErrorKind.VALIDATION,
            "unknown entry point",
            f"entryPoint {entry_point!r} is neither a process of the payload (processes/: {known}) "
            "nor a deployed process",
            [ErrorCause("#/_main.json/entryPoint", "entry_point", "must name a BPMN process id", entry_point)],
        )
    changes = [VariableChange(name, from_value(value)) for name, value in payload.arguments.items()]
    check_variables(changes, "#/_main.json/arguments", policy)
    cmd = CreateProcessInstance(
        bpmn_process_id=entry_point, worker_id=worker, version=versions.get(entry_point), variables=changes
    )
    instance = create_process_instance(tx, cmd, policy)
    if payload.files:
        add_attachments(tx, instance.partition, instance.id, payload.files, worker, pointer="#/archive")
    return instance


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
        start_payload, payload, worker, context.policy, context.settings.max_bpmn_bytes, worker_id=worker
    )
    return {"instanceId": instance_uuid(instance.partition, instance.id), "ok": True}


# --- status, wait, stop ------------------------------------------------------------------------


@blp.route("/<instance_id>", methods=["GET"])
@blp.response(200, description='{"instanceId", "status", "createdAt", "initiator", "lastUpdatedAt", …}')
def status(instance_id: str) -> Any:
    """The status of a process: RUNNING, FINISHED, FAILED or CANCELLED (also ENQUEUED, SUSPENDED)."""
    day, id = parse_instance_uuid(instance_id)
    with baton().db.engine.connect() as conn:
        return _read_status(conn, day, id)


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
    deadline = time.monotonic() + args["timeout"] / 1000.0
    while True:
        with context.db.engine.connect() as conn:
            current = _read_status(conn, day, id)
        if current["status"] in TERMINAL:
            return current
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return problem(
                408,
                "TIMEOUT",
                "process still running",
                f"process {current['instanceId']} is {current['status']} after {args['timeout']} ms",
            )
        context.wakeups.wait_ended(key, remaining)


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
    with baton().db.engine.connect() as conn:
        return [a.name for a in query_attachments(conn, day, id)]


@blp.route("/<instance_id>/attachment/<path:name>", methods=["GET"])
@blp.response(200, description="The file", content_type="application/octet-stream")
def attachment(instance_id: str, name: str) -> Response:
    """One file of the payload."""
    day, id = parse_instance_uuid(instance_id)
    with baton().db.engine.connect() as conn:
        found, content = read_attachment(conn, day, id, name)
    return file_response(found.name, found.content_type, found.sha256, content)
