"""Atom Engine's vocabulary for Baton's: opaque ids, statuses, element types, timestamps.

Ids are reversible encodings of the native ``{partition}/{id}`` address, so the facade keeps no
id table of its own: ``pi-20250501-576`` is process instance ``2025-05-01/576``; tokens (element
instances), jobs and incidents are ``tok-…``, ``job-…`` and ``inc-…`` in the same form.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from engine.errors import ErrorCause, not_found, validation
from engine.states import InstanceState

INT32_MAX = 2**31 - 1
_INSTANCE_ID = re.compile(r"pi-(\d{8})-([1-9]\d{0,18})")

# Base statuses (Atom's three): native states they stand for.
BASE_STATUSES: dict[str, tuple[str, ...]] = {
    "ACTIVE": ("CREATED", "QUEUED", "STARTED", "SUSPENDED"),
    "COMPLETED": ("COMPLETED",),
    "CANCELLED": ("CANCELED", "TERMINATED"),
}
# Typed statuses (Atom's typed API knows SUSPENDED and FAILED as well).
TYPED_STATUSES: dict[str, tuple[str, ...]] = {
    "ACTIVE": ("CREATED", "QUEUED", "STARTED"),
    "SUSPENDED": ("SUSPENDED",),
    "COMPLETED": ("COMPLETED",),
    "CANCELLED": ("CANCELED",),
    "FAILED": ("TERMINATED",),
}
ACTIVE_TOKEN_STATES = frozenset({str(InstanceState.CREATED), str(InstanceState.STARTED), str(InstanceState.SUSPENDED)})


def _key(prefix: str, partition: date, id: int) -> str:
    return f"{prefix}-{partition.strftime('%Y%m%d')}-{id}"


def instance_key(partition: date, id: int) -> str:
    """The Atom id of a process instance: ``pi-YYYYMMDD-<id>``."""
    return _key("pi", partition, id)


def token_key(partition: date, id: int) -> str:
    """The Atom id of a token (an element instance)."""
    return _key("tok", partition, id)


def job_key(partition: date, id: int) -> str:
    """The Atom key of a job."""
    return _key("job", partition, id)


def incident_key(partition: date, id: int) -> str:
    """The Atom id of an incident."""
    return _key("inc", partition, id)


def parse_instance_key(text: str) -> tuple[date, int]:
    """The native address of an Atom instance id; 400 when it is not one of ours, 404 when it
    cannot exist."""
    match = _INSTANCE_ID.fullmatch(text)
    day = None
    if match:
        try:
            day = datetime.strptime(match.group(1), "%Y%m%d").date()
        except ValueError:
            day = None
    if match is None or day is None:
        raise validation(
            "invalid instance id",
            f"{text[:100]!r} is not a Baton instance id (pi-YYYYMMDD-<number>)",
            [ErrorCause("#/instance_id", "format", "must look like pi-20250501-576", text[:100])],
        )
    id = int(match.group(2))
    if id > INT32_MAX:
        raise not_found("failed to find process instance", f"process instance {text} could not be found")
    return day, id


def base_status(state: str) -> str:
    """ACTIVE, COMPLETED or CANCELLED."""
    for status, states in BASE_STATUSES.items():
        if state in states:
            return status
    return "ACTIVE"


def typed_status(state: str) -> str:
    """ACTIVE, SUSPENDED, COMPLETED, CANCELLED or FAILED."""
    for status, states in TYPED_STATUSES.items():
        if state in states:
            return status
    return "ACTIVE"


def token_state(state: str) -> str:
    """A token's state: ACTIVE, SUSPENDED, COMPLETED or CANCELLED."""
    if state in (str(InstanceState.CREATED), str(InstanceState.STARTED)):
        return "ACTIVE"
    if state == str(InstanceState.COMPLETED):
        return "COMPLETED"
    if state == str(InstanceState.SUSPENDED):
        return "SUSPENDED"
    return "CANCELLED"


_ELEMENT_TYPES = {
    "PROCESS": "process",
    "BUSINESS_RULE_TASK": "businessRuleTask",
    "CALL_ACTIVITY": "callActivity",
    "EVENT_BASED_GATEWAY": "eventBasedGateway",
    "EXCLUSIVE_GATEWAY": "exclusiveGateway",
    "INCLUSIVE_GATEWAY": "inclusiveGateway",
    "PARALLEL_GATEWAY": "parallelGateway",
    "MANUAL_TASK": "manualTask",
    "SCRIPT_TASK": "scriptTask",
    "SEND_TASK": "sendTask",
    "SERVICE_TASK": "serviceTask",
    "SUB_PROCESS": "subProcess",
    "TASK": "task",
    "USER_TASK": "userTask",
}
_EVENT_SUFFIXES = {
    "_START_EVENT": "startEvent",
    "_END_EVENT": "endEvent",
    "_BOUNDARY_EVENT": "boundaryEvent",
    "_CATCH_EVENT": "intermediateCatchEvent",
    "_THROW_EVENT": "intermediateThrowEvent",
}
ELEMENT_TYPE_NAMES = frozenset({*_ELEMENT_TYPES.values(), *_EVENT_SUFFIXES.values()})


def element_type(native: str) -> str:
    """BPMN's own name of an element type (``SERVICE_TASK`` -> ``serviceTask``)."""
    if native in _ELEMENT_TYPES:
        return _ELEMENT_TYPES[native]
    for suffix, name in _EVENT_SUFFIXES.items():
        if native.endswith(suffix):
            return name
    return native.lower()


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 UTC with milliseconds and ``Z``."""
    if moment is None:
        return None
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def duration_ms(start: datetime | None, end: datetime | None) -> int | None:
    """Milliseconds between two moments, None when one is missing."""
    if start is None or end is None:
        return None
    return int((end - start).total_seconds() * 1000)


def process_key(bpmn_process_id: str) -> str:
    """An instance's ``process_key`` in every Atom answer: its BPMN process id, the same value a
    start request takes as ``process_key`` (the version is the separate ``version`` field)."""
    return bpmn_process_id


def version_value(version: str) -> Any:
    """Atom versions are integers; Baton's are strings: digits come back as a number."""
    return int(version) if version.isdigit() and len(version) < 10 else version


def json_type(value: Any) -> str:
    """The JSON type of a value, as the typed API reports it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"
