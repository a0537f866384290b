"""Engine time (``/time``) and timers (a point in time, a duration, or a cycle)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from client.errors import BatonError
from client.wire import parse_datetime

if TYPE_CHECKING:
    from client.transport import Transport


def iso_timestamp(value: datetime | str) -> str:
    """A datetime as the API's ISO 8601 text (naive datetimes are taken as UTC)."""
    if isinstance(value, str):
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat()


@dataclass(frozen=True)
class Timer:
    """One of: ``time`` (a point in time), ``time_duration`` (ISO 8601, e.g. ``PT1H``) or
    ``time_cycle`` (ISO 8601 repeating interval or CRON)."""

    time: datetime | str | None = None
    time_duration: str | None = None
    time_cycle: str | None = None

    def to_wire(self) -> dict[str, Any]:
        """``{time | timeDuration | timeCycle}``."""
        data: dict[str, Any] = {}
        if self.time is not None:
            data["time"] = iso_timestamp(self.time)
        if self.time_duration is not None:
            data["timeDuration"] = self.time_duration
        if self.time_cycle is not None:
            data["timeCycle"] = self.time_cycle
        return data


class EngineTime:
    """The engine's clock: the wall clock plus what was added with :meth:`set` (for tests and demos)."""

    def __init__(self, transport: Transport) -> None:
        self._http = transport

    def get(self) -> datetime:
        """The engine time."""
        return self._parse(self._http.json("GET", "/time", idempotent=True))

    def set(
        self, time: datetime | str | None = None, duration: str | None = None, cycle: str | None = None
    ) -> datetime:
        """Move the engine time forward: to ``time``, by ``duration`` (``PT1H``) or to the next
        tick of ``cycle``; returns the new engine time. Backwards is a
        :class:`~client.errors.Conflict`."""
        payload = Timer(time, duration, cycle).to_wire()
        # An absolute time can be sent twice with the same effect; a duration cannot.
        return self._parse(self._http.json("PATCH", "/time", json=payload, idempotent=time is not None))

    @staticmethod
    def _parse(data: Any) -> datetime:
        value = parse_datetime((data or {}).get("time"))
        if value is None:
            raise BatonError(200, None, "no time in the response", str(data))
        return value
