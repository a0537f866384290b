"""Failed-job retry cycles (``camunda:failedJobRetryTimeCycle``, ``flowable:failedJobRetryTimeCycle``).

Two forms are read, counted the way Camunda 7 and Flowable count them:

- ``R5/PT10M``: the job runs at most 5 times, the first run and 4 retries, each retry 10 minutes
  after the failure before it (``R1`` and ``R0``: no retry);
- ``PT1M,PT5M,PT10M``: one retry per item, the n-th retry after the n-th delay (a single
  duration ``PT5M`` is one retry after 5 minutes).

Durations are ISO 8601 (``isodate``); years and months count as 365 and 30 days, as timers do.
Expressions (``${…}``), open-ended repetitions (``R/PT5M``) and intervals with dates are refused
with a sentence saying so.
"""

from __future__ import annotations

from datetime import timedelta

import isodate

from engine.model.elements import RetryCycle

# Bounds that keep a retry schedule meaningful (and its due dates representable).
MAX_RETRIES = 1000
MAX_DELAY = timedelta(days=3650)


class RetryCycleError(ValueError):
    """A retry cycle Baton cannot read; the message says why."""


def parse_retry_cycle(text: str) -> RetryCycle:
    """The retry cycle written as ``text`` (RetryCycleError when it is not one)."""
    value = text.strip()
    if not value:
        raise RetryCycleError("is empty")
    if value.startswith(("${", "#{", "=")):
        raise RetryCycleError("is an expression, which Baton does not evaluate here; write the cycle itself")
    if value[:1] in ("R", "r"):
        return _repeating(value)
    delays = tuple(_delay(item.strip()) for item in value.split(","))
    if len(delays) > MAX_RETRIES:
        raise RetryCycleError(f"lists more than {MAX_RETRIES} delays")
    return RetryCycle(text=value, retries=len(delays), delays=delays)


def _repeating(value: str) -> RetryCycle:
    count, slash, period = value[1:].partition("/")
    if not slash or not period.strip():
        raise RetryCycleError('is not "R<n>/<duration>"')
    if not count:
        raise RetryCycleError("repeats without end; give the number of runs (R5/PT10M)")
    if not (count.isdigit() and count.isascii()):
        raise RetryCycleError(f'has "{count}" where the number of runs belongs')
    runs = int(count)
    if runs > MAX_RETRIES:
        raise RetryCycleError(f"runs the job more than {MAX_RETRIES} times")
    return RetryCycle(text=value, retries=max(runs - 1, 0), delays=(_delay(period.strip()),))


def _delay(item: str) -> timedelta:
    if not item.upper().startswith("P"):
        raise RetryCycleError(f'has "{item}", which is not an ISO 8601 duration (PT10M, P1D…)')
    try:
        value = isodate.parse_duration(item)
    except (isodate.ISO8601Error, ValueError) as exc:
        raise RetryCycleError(f'has "{item}", which is not an ISO 8601 duration (PT10M, P1D…)') from exc
    if isinstance(value, isodate.Duration):
        value = timedelta(days=float(value.years) * 365 + float(value.months) * 30) + value.tdelta
    if value < timedelta(0) or value > MAX_DELAY:
        raise RetryCycleError(f'has the delay "{item}", which is not between PT0S and 10 years')
    return value
