"""Which kinds of open work an element instance may hold, by element type.

When an element instance ends early (a boundary event interrupted it, a terminate end event or a
cancel cut it off), its open work must be canceled in the same transaction. Knowing which kinds
an element can hold keeps that to the statements that can match anything.
"""

from __future__ import annotations

from enum import StrEnum

from engine.model import ElementType as T


class Work(StrEnum):
    """A kind of open work tied to an element instance."""

    JOB = "job"
    TASK = "task"
    USER_TASK = "user_task"
    MESSAGE_SUBSCRIPTION = "message_subscription"
    SIGNAL_SUBSCRIPTION = "signal_subscription"
    CHILD_INSTANCE = "child_instance"


_JOB = frozenset({Work.JOB})
_TIMER = frozenset({Work.JOB, Work.TASK})
_MESSAGE = frozenset({Work.JOB, Work.MESSAGE_SUBSCRIPTION})
_SIGNAL = frozenset({Work.JOB, Work.SIGNAL_SUBSCRIPTION})
_NONE: frozenset[Work] = frozenset()

_BY_TYPE: dict[T, frozenset[Work]] = {
    T.SERVICE_TASK: _JOB,
    T.SEND_TASK: _JOB,
    T.SCRIPT_TASK: _JOB,
    T.BUSINESS_RULE_TASK: _JOB,
    T.EXCLUSIVE_GATEWAY: _JOB,
    T.INCLUSIVE_GATEWAY: _JOB,
    T.USER_TASK: frozenset({Work.USER_TASK}),
    T.CALL_ACTIVITY: frozenset({Work.JOB, Work.CHILD_INSTANCE}),
    T.TIMER_CATCH_EVENT: _TIMER,
    T.TIMER_BOUNDARY_EVENT: _TIMER,
    T.MESSAGE_CATCH_EVENT: _MESSAGE,
    T.MESSAGE_BOUNDARY_EVENT: _MESSAGE,
    T.SIGNAL_CATCH_EVENT: _SIGNAL,
    T.SIGNAL_BOUNDARY_EVENT: _SIGNAL,
    T.ERROR_BOUNDARY_EVENT: _JOB,
    T.ESCALATION_BOUNDARY_EVENT: _JOB,
    T.MESSAGE_THROW_EVENT: _JOB,
    T.MESSAGE_END_EVENT: _JOB,
    T.SIGNAL_THROW_EVENT: _JOB,
    T.SIGNAL_END_EVENT: _JOB,
    T.ERROR_END_EVENT: _JOB,
    T.ESCALATION_END_EVENT: _JOB,
    T.ESCALATION_THROW_EVENT: _JOB,
    # Parallel joins and CONTINUE_EXECUTION tasks check their element instance when they run
    # and end as CANCELED by themselves; nothing to cancel eagerly.
    T.PARALLEL_GATEWAY: _NONE,
    T.SUB_PROCESS: _NONE,
    T.PROCESS: _NONE,
    T.EVENT_BASED_GATEWAY: _NONE,
}


def open_work(element_type: T) -> frozenset[Work]:
    """The kinds of open work an element instance of this type may hold (all when unsure)."""
    return _BY_TYPE.get(element_type, _NONE)
