"""Starting a process from a payload: BPMN definitions deployed, an entry point started with
arguments as variables, and files kept as attachments of the new instance, in one transaction
so that bad input changes nothing (the Concord facade's ``POST /api/v1/process``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.commands.attachments import NewAttachment, add_attachments
from engine.commands.process_instances import CreateProcessInstance, create_process_instance
from engine.commands.processes import CreateProcess, create_process, xml_hash
from engine.errors import EngineError, ErrorCause, ErrorKind, validation
from engine.model import parse_definitions
from engine.queries.processes import query_processes
from engine.queries.records import ProcessInstance
from engine.store.db import Tx
from engine.variables import Policy, VariableChange, from_value
from engine.variables import check as check_variables


@dataclass(frozen=True)
class Definition:
    """A BPMN document of the payload."""

    path: str
    xml: str


@dataclass(frozen=True)
class Payload:
    """What a payload asks: start ``entry_point`` with ``arguments``; its definitions and files."""

    entry_point: str
    arguments: dict[str, Any]
    definitions: list[Definition]
    files: list[NewAttachment]


@dataclass(frozen=True)
class PayloadFormat:
    """How a payload names things: the version prefix of its deployments, and the JSON pointers
    of its main document (entry point and arguments) and of its archive (files)."""

    version_prefix: str
    main_pointer: str
    archive_pointer: str


def _in_file(exc: EngineError, path: str) -> EngineError:
    """The same error, saying which archive entry it is about."""
    return EngineError(exc.kind, exc.title, f"{path}: {exc.detail}", exc.causes)


def start_payload(
    tx: Tx, payload: Payload, worker: str, policy: Policy, max_bpmn_bytes: int, form: PayloadFormat
) -> ProcessInstance:
    """Deploy the payload's definitions, start its entry point, keep its files: one transaction.

    Each document is deployed as version ``<prefix><first 16 hex digits of its SHA-256>``, so
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
            version = form.version_prefix + xml_hash(definition.xml)[:16]
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
            [ErrorCause(f"{form.main_pointer}/entryPoint", "entry_point", "must name a BPMN process id", entry_point)],
        )
    changes = [VariableChange(name, from_value(value)) for name, value in payload.arguments.items()]
    check_variables(changes, f"{form.main_pointer}/arguments", policy)
    cmd = CreateProcessInstance(
        bpmn_process_id=entry_point, worker_id=worker, version=versions.get(entry_point), variables=changes
    )
    instance = create_process_instance(tx, cmd, policy)
    if payload.files:
        add_attachments(tx, instance.partition, instance.id, payload.files, worker, pointer=form.archive_pointer)
    return instance
