"""States and kinds every layer shares, as on the wire: instances, jobs and engine tasks.

The ground floor of the engine: this module imports nothing of Baton, so the model, the runtime,
the store, the queries and the API can all name a state without importing each other.
"""

from __future__ import annotations

from enum import StrEnum


class InstanceState(StrEnum):
    """States of process and element instances, as on the wire."""

    CANCELED = "CANCELED"
    COMPLETED = "COMPLETED"
    CREATED = "CREATED"
    QUEUED = "QUEUED"
    STARTED = "STARTED"
    SUSPENDED = "SUSPENDED"
    TERMINATED = "TERMINATED"


ENDED_STATES = frozenset({InstanceState.CANCELED, InstanceState.COMPLETED, InstanceState.TERMINATED})


class WorkState(StrEnum):
    """States of jobs and engine tasks, as on the wire."""

    CANCELED = "CANCELED"
    CAUSED_INCIDENT = "CAUSED_INCIDENT"
    CAUSED_RETRY = "CAUSED_RETRY"
    CREATED = "CREATED"
    DONE = "DONE"
    DUE = "DUE"
    LOCKED = "LOCKED"


class JobKind(StrEnum):
    """What a job asks of a worker (the ``type`` of a job on the wire)."""

    CALL_PROCESS = "CALL_PROCESS"
    EVALUATE_EXCLUSIVE_GATEWAY = "EVALUATE_EXCLUSIVE_GATEWAY"
    EVALUATE_INCLUSIVE_GATEWAY = "EVALUATE_INCLUSIVE_GATEWAY"
    EXECUTE = "EXECUTE"
    PASS_VARIABLES = "PASS_VARIABLES"  # noqa: S105 - a job type, not a password
    SET_ERROR_CODE = "SET_ERROR_CODE"
    SET_ESCALATION_CODE = "SET_ESCALATION_CODE"
    SET_MESSAGE_CORRELATION_KEY = "SET_MESSAGE_CORRELATION_KEY"
    SET_SIGNAL_NAME = "SET_SIGNAL_NAME"
    SET_TIMER = "SET_TIMER"
    SUBSCRIBE_MESSAGE = "SUBSCRIBE_MESSAGE"
    SUBSCRIBE_SIGNAL = "SUBSCRIBE_SIGNAL"


class TaskKind(StrEnum):
    """Engine task types, as on the wire."""

    CONTINUE_EXECUTION = "CONTINUE_EXECUTION"
    CREATE_PARTITION = "CREATE_PARTITION"
    DEQUEUE_PROCESS_INSTANCE = "DEQUEUE_PROCESS_INSTANCE"
    DETACH_PARTITION = "DETACH_PARTITION"
    DROP_PARTITION = "DROP_PARTITION"
    JOIN_PARALLEL_GATEWAY = "JOIN_PARALLEL_GATEWAY"
    PURGE_MESSAGES = "PURGE_MESSAGES"
    PURGE_SIGNALS = "PURGE_SIGNALS"
    START_PROCESS_INSTANCE = "START_PROCESS_INSTANCE"
    TERMINATE_PROCESS_INSTANCE = "TERMINATE_PROCESS_INSTANCE"
    TRIGGER_EVENT = "TRIGGER_EVENT"
