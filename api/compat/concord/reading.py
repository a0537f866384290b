"""What the Concord facade reads: a process with its open incidents, its attachments."""

from __future__ import annotations

from datetime import date

from api.compat.concord.terms import instance_uuid
from api.context import baton
from engine.errors import not_found
from engine.queries.attachments import Attachment, query_attachments, read_attachment
from engine.queries.incidents import query_incidents
from engine.queries.process_instances import query_process_instances
from engine.queries.records import ProcessInstance


def instance_with_open_incidents(day: date, id: int) -> tuple[ProcessInstance, int]:
    """A process instance and how many open incidents it has (404 when there is none)."""
    with baton().db.engine.connect() as conn:
        found = query_process_instances(conn, partition=day, id=id)
        if not found:
            raise not_found("failed to find process", f"process {instance_uuid(day, id)} could not be found")
        instance = found[0]
        incidents = query_incidents(conn, partition=day, process_instance_id=id, resolved=False)
    return instance, len(incidents)


def attachment_names(day: date, id: int) -> list[str]:
    """The names of an instance's attachments."""
    with baton().db.engine.connect() as conn:
        return [a.name for a in query_attachments(conn, day, id)]


def attachment(day: date, id: int, name: str) -> tuple[Attachment, bytes]:
    """One attachment of an instance and its content."""
    with baton().db.engine.connect() as conn:
        return read_attachment(conn, day, id, name)
