"""Moving the engine time forward (``PATCH /time``) for tests and demos."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from engine.errors import EngineError, ErrorCause, ErrorKind, conflict
from engine.model import Timer
from engine.runtime import timers
from engine.store import time as time_store
from engine.store.db import Tx


def set_time(
    tx: Tx, *, time: datetime | None = None, time_duration: str | None = None, time_cycle: str | None = None
) -> datetime:
    """Set the engine time to a later point; returns it. Moving backwards is a CONFLICT.

    Exactly one of a point in time, a duration from now, or a cycle (the next tick after now)
    must be given. Timers that become due fire within a second (beat's sweep).
    """
    given = [value for value in (time, time_duration, time_cycle) if value]
    if len(given) != 1:
        raise EngineError(
            ErrorKind.VALIDATION,
            "failed to set time",
            "give exactly one of time, timeDuration and timeCycle",
            [ErrorCause("#", "one_of", "exactly one of time, timeDuration, timeCycle")],
        )
    current_ms = time_store.lock_offset_ms(tx)
    host_now = datetime.now(UTC)
    engine_now = host_now + timedelta(milliseconds=current_ms)
    if time is not None:
        target = time if time.tzinfo else time.replace(tzinfo=UTC)
    else:
        try:
            target = timers.first_due(Timer(time_duration=time_duration, time_cycle=time_cycle), engine_now).due_at
        except timers.TimerError as exc:
            pointer = "#/timeDuration" if time_duration else "#/timeCycle"
            raise EngineError(
                ErrorKind.VALIDATION, "failed to set time", str(exc), [ErrorCause(pointer, "timer", str(exc))]
            ) from exc
    if target < engine_now:
        raise conflict(
            "failed to set time", f"time {target.isoformat()} is before engine time {engine_now.isoformat()}"
        )
    offset = timedelta(milliseconds=int((target - host_now).total_seconds() * 1000))
    time_store.set_offset_ms(tx, int(offset.total_seconds() * 1000))
    tx.jobs_created = True  # retry jobs may have become due
    tx.time_offset = offset
    return target


def engine_time(tx: Tx) -> datetime:
    """The current engine time."""
    return tx.now
