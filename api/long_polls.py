"""The deadline loop of every long poll: ``POST /jobs/lock`` with a timeout,
``GET /process-instances/…/wait`` and Concord's ``GET /api/v1/process/…/wait``.

A poll looks, and when what it looked at is not yet the answer and time is left, sleeps until a
wake-up (``api.wakeups``) or the rest of the time, then looks again. The deadline is fixed
before the first look, so a request is held at most its timeout (plus one look).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def poll(
    timeout_seconds: float,
    look: Callable[[], T],
    done: Callable[[T], bool],
    sleep: Callable[[T, float], object],
) -> tuple[T, bool]:
    """Call ``look`` until ``done`` says its result is the answer or ``timeout_seconds`` have
    passed; between looks ``sleep(result, remaining_seconds)`` waits for a wake-up. Answers the
    last result and whether it was done (False: the time ran out)."""
    deadline = time.monotonic() + timeout_seconds
    while True:
        result = look()
        if done(result):
            return result, True
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return result, False
        sleep(result, remaining)
