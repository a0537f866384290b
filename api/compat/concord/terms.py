"""Concord's terms for native things: process ids (UUIDs that encode the native address) and
statuses.

Instance ids are UUIDs that encode the native address reversibly, so no id table exists:
``20250501-ba70-8000-8000-000000000576`` is process instance ``2025-05-01/576`` (UUID version 8,
RFC 9562: the partition's digits, the marker ``ba70``, the id as twelve decimal digits).
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime

from engine.errors import ErrorCause, not_found, validation

INT32_MAX = 2**31 - 1
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
