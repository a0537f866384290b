"""Waiting in tests: poll the real state until it is what the test expects, with a deadline.

No test sleeps to let something happen. It polls what it waits for (an instance state, a job, a
subscription) or long-polls the API, and fails when the deadline passes. The deadline is a hang
detector, far above the time anything takes even on a loaded 2-core machine, never a speed
claim: a wait that succeeds returns as soon as the state is there.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

# Seconds any wait for the system to do something may take before the test fails.
DEADLINE = 30.0
# The same deadline for a long poll (``POST /jobs/lock`` with ``timeout``) that must bring a job.
LOCK_TIMEOUT_MS = int(DEADLINE * 1000)


def wait_for(
    check: Callable[[], T],
    until: Callable[[T], Any] = bool,
    *,
    timeout: float = DEADLINE,
    interval: float = 0.1,
    what: str = "the condition",
) -> T:
    """Call ``check`` every ``interval`` seconds until ``until(value)`` holds (by default: until
    the value is truthy) and return that value; fail the test after ``timeout`` seconds, showing
    the last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if until(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {timeout:g} s (last: {value!r})")
        time.sleep(interval)
