"""Timer values: when a timer is due, and when a repeating one is due next.

Three forms, as in BPMN: ``timeDate`` (ISO 8601 date-time), ``timeDuration`` (ISO 8601
duration, from now) and ``timeCycle`` — either an ISO 8601 repeating interval (``R3/PT10M``,
``R/PT1H``, ``R5/2025-01-01T08:00:00Z/P1D``) or a CRON expression (croniter, 5 or 6 fields).
All computations take the engine time as an argument; nothing here reads the clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import isodate
from croniter import croniter

from engine.expressions import FEEL, PYTHON, ExpressionError, compile_expression, is_expression
from engine.model import Timer

_REPEAT = re.compile(r"^R(?P<count>\d*)/(?P<rest>.+)$")
# Bounds that keep a timer from overflowing datetime arithmetic.
MAX_DURATION = timedelta(days=365 * 100)
MIN_CYCLE = timedelta(seconds=1)


class TimerError(ValueError):
    """A timer value that cannot be understood."""


@dataclass(frozen=True)
class Cycle:
    """A parsed repeating timer: the next due time and how many repetitions remain."""

    due_at: datetime
    remaining: int | None  # None: unbounded


def _aware(value: datetime, now: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=now.tzinfo or UTC)


def parse_date(text: str, now: datetime) -> datetime:
    """An ISO 8601 date-time (a date alone means its midnight)."""
    try:
        if "T" in text or " " in text.strip():
            return _aware(isodate.parse_datetime(text.strip()), now)
        day = isodate.parse_date(text.strip())
        return datetime(day.year, day.month, day.day, tzinfo=now.tzinfo or UTC)
    except (isodate.ISO8601Error, ValueError) as exc:
        raise TimerError(f"{text!r} is not an ISO 8601 date-time") from exc


def parse_duration(text: str) -> timedelta:
    """An ISO 8601 duration (years and months count as 365 and 30 days)."""
    if not any(char.isdigit() for char in text):
        raise TimerError(f"{text!r} is not an ISO 8601 duration")
    try:
        value = isodate.parse_duration(text.strip())
    except (isodate.ISO8601Error, ValueError) as exc:
        raise TimerError(f"{text!r} is not an ISO 8601 duration") from exc
    if isinstance(value, isodate.Duration):
        value = timedelta(days=float(value.years) * 365 + float(value.months) * 30) + value.tdelta
    if value < timedelta(0) or value > MAX_DURATION:
        raise TimerError(f"duration {text!r} must be between PT0S and 100 years")
    return value


def is_cron(text: str) -> bool:
    """Whether a cycle is written as CRON rather than an ISO 8601 repeating interval."""
    return not text.strip().upper().startswith("R")


def validate(timer: Timer, dialect: str = FEEL) -> str | None:
    """A sentence saying what is wrong with a timer, or None when it is valid.

    An expression is valid here (it is compiled at deploy and evaluated when the timer is set);
    see :func:`is_expression_value` for what counts as one in ``dialect``.
    """
    values = [v for v in (timer.time_date, timer.time_duration, timer.time_cycle) if v]
    if len(values) != 1:
        return "a timer needs exactly one of time, timeDuration and timeCycle"
    if is_expression(values[0]):
        return None  # an expression, evaluated when the timer is set
    problem = _literal_problem(timer)
    if problem and dialect == PYTHON and _compiles_as_python(values[0]):
        return None  # a SpiffWorkflow timer expression (a variable, a computation)
    return problem


def is_expression_value(timer: Timer, value: str, dialect: str = FEEL) -> bool:
    """Whether a value of ``timer`` is an expression: ``=…``/``${…}``/``#{…}``, or, in a Python
    model (SpiffWorkflow), bare text that is no valid literal timer but a Python expression."""
    if is_expression(value):
        return True
    return dialect == PYTHON and _literal_problem(timer) is not None and _compiles_as_python(value)


def _literal_problem(timer: Timer) -> str | None:
    try:
        first_due(timer, datetime(2000, 1, 1, tzinfo=UTC))
    except TimerError as exc:
        return str(exc)
    return None


def _compiles_as_python(value: str) -> bool:
    try:
        compile_expression(value, PYTHON)
    except ExpressionError:
        return False
    return True


def first_due(timer: Timer, now: datetime) -> Cycle:
    """When a timer is first due, and how many further repetitions it has."""
    if timer.time_date:
        return Cycle(parse_date(timer.time_date, now), 0)
    if timer.time_duration:
        return Cycle(now + parse_duration(timer.time_duration), 0)
    if timer.time_cycle:
        return _cycle(timer.time_cycle.strip(), now, first=True)
    raise TimerError("a timer needs one of time, timeDuration and timeCycle")


def next_due(timer: Timer, now: datetime, remaining: int | None) -> Cycle | None:
    """After a repeating timer fired at ``now``: when it is due again, or None when done."""
    if not timer.time_cycle or remaining == 0:
        return None
    cycle = _cycle(timer.time_cycle.strip(), now, first=False)
    if remaining is None:
        return Cycle(cycle.due_at, None)
    return Cycle(cycle.due_at, remaining - 1)


def _cycle(text: str, now: datetime, *, first: bool) -> Cycle:
    match = _REPEAT.match(text)
    if match is None:
        try:
            if not croniter.is_valid(text):
                raise TimerError(f"{text!r} is neither a CRON expression nor an ISO 8601 repeating interval")
            due = croniter(text, now).get_next(datetime)
        except (ValueError, KeyError) as exc:
            raise TimerError(f"{text!r} is not a valid CRON expression") from exc
        return Cycle(_aware(due, now), None)
    count = int(match.group("count")) if match.group("count") else None
    parts = match.group("rest").split("/")
    if len(parts) == 1:
        start, period = None, parts[0]
    elif len(parts) == 2 and parts[0].upper().startswith("P"):
        # R/PT1H/end: an end date is accepted and ignored (the count bounds the cycle)
        start, period = None, parts[0]
    elif len(parts) == 2:
        start, period = parts
    else:
        raise TimerError(f"{text!r} is not an ISO 8601 repeating interval")
    interval = parse_duration(period)
    if interval < MIN_CYCLE:
        raise TimerError(f"repeating interval {text!r} must be at least one second")
    if count == 0:
        raise TimerError(f"repeating interval {text!r} repeats zero times")
    if first and start is not None:
        begin = parse_date(start, now)
        if begin < now:  # catch up to the first occurrence that is not in the past
            periods = (now - begin) // interval + 1
            begin += interval * periods
        return Cycle(begin, None if count is None else count - 1)
    return Cycle(now + interval, None if count is None else count - 1)


def as_dict(timer: Timer) -> dict[str, str]:
    """The wire form of a timer (``time``, ``timeDuration``, ``timeCycle``)."""
    data = {"time": timer.time_date, "timeDuration": timer.time_duration, "timeCycle": timer.time_cycle}
    return {key: value for key, value in data.items() if value}


def from_dict(data: dict[str, str] | None) -> Timer | None:
    """A timer from its wire form."""
    if not data:
        return None
    return Timer(time_date=data.get("time"), time_duration=data.get("timeDuration"), time_cycle=data.get("timeCycle"))
