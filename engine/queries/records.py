"""Result values of commands and queries: what the API serializes.

One frozen dataclass per resource, with the fields of the go-bpmn wire format (snake_case here,
camelCase on the wire). Timestamps are aware UTC datetimes; ``None`` fields are omitted on the
wire.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from engine.errors import ErrorCause


@dataclass(frozen=True)
class Tag:
    """A name/value label on a process or process instance."""

    name: str
    value: str


def tags_from_json(data: dict[str, str] | None) -> list[Tag]:
    """Tags stored as a JSON object, as a sorted list."""
    return [Tag(name, value) for name, value in sorted((data or {}).items())]


@dataclass(frozen=True)
class Process:
    """A deployed process version."""

    id: int
    bpmn_process_id: str
    version: str
    created_at: datetime
    created_by: str
    parallelism: int = 0
    tags: list[Tag] = field(default_factory=list)
    name: str | None = None
    bpmn_collaboration_id: str | None = None
    bpmn_participant_id: str | None = None
    bpmn_participant_name: str | None = None
    # Set only in the answer to a deploy: what Baton read leniently (see docs/bpmn.md).
    warnings: tuple[ErrorCause, ...] = ()


@dataclass(frozen=True)
class Element:
    """A BPMN element of a deployed process."""

    id: int
    process_id: int
    bpmn_element_id: str
    bpmn_element_type: str
    bpmn_element_name: str | None = None
    parent_bpmn_element_id: str | None = None
    event_definition: dict[str, Any] | None = None


@dataclass(frozen=True)
class ProcessInstance:
    """A process instance."""

    partition: date
    id: int
    process_id: int
    bpmn_process_id: str
    version: str
    state: str
    created_at: datetime
    created_by: str
    parent_id: int | None = None
    root_id: int | None = None
    correlation_key: str | None = None
    tags: list[Tag] = field(default_factory=list)
    started_at: datetime | None = None
    ended_at: datetime | None = None
    ended_by: str | None = None
    end_reason: str | None = None


@dataclass(frozen=True)
class ElementInstance:
    """An element instance: one node of an instance's token tree."""

    partition: date
    id: int
    element_id: int
    process_id: int
    process_instance_id: int
    bpmn_element_id: str
    bpmn_element_type: str
    state: str
    created_at: datetime
    created_by: str
    parent_id: int | None = None
    prev_id: int | None = None
    prev_element_id: int | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None


@dataclass(frozen=True)
class Job:
    """A unit of work for a worker."""

    partition: date
    id: int
    element_id: int
    element_instance_id: int
    process_id: int
    process_instance_id: int
    bpmn_element_id: str
    bpmn_process_id: str
    type: str
    state: str
    retry_count: int
    created_at: datetime
    created_by: str
    due_at: datetime
    job_type: str | None = None
    retries: int | None = None
    correlation_key: str | None = None
    error: str | None = None
    locked_at: datetime | None = None
    locked_by: str | None = None
    lock_expires_at: datetime | None = None
    completed_at: datetime | None = None


@dataclass(frozen=True)
class Task:
    """An engine task."""

    partition: date
    id: int
    type: str
    state: str
    retry_count: int
    created_at: datetime
    created_by: str
    due_at: datetime
    element_id: int | None = None
    element_instance_id: int | None = None
    process_id: int | None = None
    process_instance_id: int | None = None
    bpmn_element_id: str | None = None
    serialized_task: str | None = None
    error: str | None = None
    locked_at: datetime | None = None
    locked_by: str | None = None
    completed_at: datetime | None = None


@dataclass(frozen=True)
class Incident:
    """A failed job or task with no retries left, or an element that cannot go on."""

    partition: date
    id: int
    created_at: datetime
    created_by: str
    element_id: int | None = None
    element_instance_id: int | None = None
    job_id: int | None = None
    task_id: int | None = None
    process_id: int | None = None
    process_instance_id: int | None = None
    bpmn_element_id: str | None = None
    error: str | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None


@dataclass(frozen=True)
class Variable:
    """A variable's metadata (query results carry no value)."""

    partition: date
    id: int
    process_id: int
    process_instance_id: int
    name: str
    encoding: str
    encrypted: bool
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str
    element_id: int | None = None
    element_instance_id: int | None = None
    size: int = 0


@dataclass(frozen=True)
class ExecutedTasks:
    """The outcome of ``POST /tasks/execute``."""

    locked: int
    completed: int
    failed: int
    completed_tasks: list[Task]
    failed_tasks: list[Task]


@dataclass(frozen=True)
class UserTask:
    """A task for a person."""

    partition: date
    id: int
    element_id: int
    element_instance_id: int
    process_id: int
    process_instance_id: int
    bpmn_element_id: str
    revision: int
    state: str
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str
    name: str | None = None
    correlation_key: str | None = None
    tags: list[Tag] = field(default_factory=list)
    assignee: str | None = None
    candidate_users: list[str] = field(default_factory=list)
    candidate_groups: list[str] = field(default_factory=list)
    due_date: datetime | None = None
    follow_up_date: datetime | None = None
    priority: int | None = None
    ended_at: datetime | None = None


@dataclass(frozen=True)
class Message:
    """A message: correlated, or buffered until it expires."""

    id: int
    name: str
    correlation_key: str
    created_at: datetime
    created_by: str
    correlated: bool
    unique_key: str | None = None
    expires_at: datetime | None = None


@dataclass(frozen=True)
class MessageSubscription:
    """An element instance waiting for a message."""

    partition: date
    id: int
    element_id: int
    element_instance_id: int
    process_id: int
    process_instance_id: int
    bpmn_element_id: str
    name: str
    correlation_key: str
    created_at: datetime
    created_by: str


@dataclass(frozen=True)
class Signal:
    """A sent signal."""

    id: int
    name: str
    created_at: datetime
    created_by: str
    subscriber_count: int


@dataclass(frozen=True)
class SignalSubscription:
    """An element instance waiting for a signal."""

    partition: date
    id: int
    element_id: int
    element_instance_id: int
    process_id: int
    process_instance_id: int
    bpmn_element_id: str
    name: str
    created_at: datetime
    created_by: str
