"""Path parameters: ``{partition}/{id}`` addressing of partitioned resources."""

from __future__ import annotations

from datetime import date

from engine.errors import EngineError, ErrorCause, ErrorKind, not_found

INT32_MAX = 2**31 - 1


def partition_of(text: str) -> date:
    """A partition from the URL (``2025-05-01``), or a 400 problem."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise EngineError(
            ErrorKind.VALIDATION,
            "invalid partition",
            f"{text!r} is not a date like 2025-05-01",
            [ErrorCause("#/partition", "date", "must be a date (YYYY-MM-DD)", text)],
        ) from None


def resource(partition: str, id: int, what: str) -> tuple[date, int]:
    """A partitioned resource address; an id outside int32 cannot exist (404)."""
    day = partition_of(partition)
    if not 0 < id <= INT32_MAX:
        raise not_found(f"failed to find {what}", f"{what} {partition}/{id} could not be found")
    return day, id


def process_id(id: int) -> int:
    """A process id from the URL; one outside int32 cannot exist (404)."""
    if not 0 < id <= INT32_MAX:
        raise not_found("failed to find process", f"process {id} could not be found")
    return id
