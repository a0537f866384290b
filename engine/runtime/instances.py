"""Runtime values: the process instance a step holds (StepInstance) and its token tree in memory.

A step loads the instance and its active element instances, changes them in memory, and the
store writes every change in one flush. ``is_new`` and ``dirty`` say what must be written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from engine.model import Element
from engine.states import ENDED_STATES, InstanceState, JobKind, TaskKind
from engine.variables import VariableChange


@dataclass(eq=False)
class StepInstance:
    """The process instance a step works on (its row is locked for the whole step)."""

    partition: date
    id: int
    process_id: int
    bpmn_process_id: str
    version: str
    state: InstanceState
    created_at: datetime
    created_by: str
    correlation_key: str | None = None
    parent_id: int | None = None
    root_id: int | None = None
    parent_element_instance_id: int | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    ended_by: str | None = None
    end_reason: str | None = None
    message_id: int | None = None
    start_event: str | None = None
    was_queued: bool = False  # QUEUED when the step began
    just_started: bool = False  # started by this step
    dirty: bool = False

    @property
    def is_ended(self) -> bool:
        """True once the instance has completed, terminated or been canceled."""
        return self.state in ENDED_STATES


@dataclass(eq=False)
class ElementInstance:
    """One token position: an instance of a BPMN element inside a scope."""

    element: Element
    element_id: int
    parent: ElementInstance | None
    state: InstanceState
    created_at: datetime
    created_by: str
    id: int | None = None
    parent_id: int | None = None
    prev: ElementInstance | None = None
    prev_id: int | None = None
    prev_element_id: int | None = None
    context: dict[str, Any] | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    is_new: bool = True
    dirty: bool = False

    @property
    def is_ended(self) -> bool:
        """True once the element instance completed, terminated or was canceled."""
        return self.state in ENDED_STATES

    @property
    def bpmn_element_id(self) -> str:
        """The BPMN id of the element."""
        return self.element.id

    def __repr__(self) -> str:
        return f"<{self.element.type} {self.element.id} #{self.id} {self.state}>"


@dataclass(frozen=True)
class NewJob:
    """A job to insert at flush."""

    element_instance: ElementInstance
    kind: JobKind
    due_at: datetime
    job_type: str | None = None
    retries: int | None = None
    retry_count: int = 0


@dataclass(frozen=True)
class NewTask:
    """An engine task to insert at flush (and to publish after commit)."""

    kind: TaskKind
    due_at: datetime
    element_instance: ElementInstance | None = None
    payload: dict[str, Any] | None = None
    retry_count: int = 0


@dataclass(frozen=True)
class NewIncident:
    """An incident raised by the step itself (no job or task failed), e.g. a bad expression."""

    element_instance: ElementInstance
    error: str
    job_id: int | None = None
    task_id: int | None = None


@dataclass(frozen=True)
class NewUserTask:
    """A user task to insert at flush."""

    element_instance: ElementInstance
    name: str | None
    assignee: str | None
    candidate_users: tuple[str, ...]
    candidate_groups: tuple[str, ...]
    due_date: datetime | None
    follow_up_date: datetime | None
    priority: int | None


@dataclass(frozen=True)
class NewSubscription:
    """A message or signal subscription to insert at flush."""

    element_instance: ElementInstance
    kind: str  # "message" | "signal"
    name: str
    correlation_key: str | None = None


@dataclass
class StepOutput:
    """Everything a step adds besides element instance changes."""

    jobs: list[NewJob] = field(default_factory=list)
    tasks: list[NewTask] = field(default_factory=list)
    incidents: list[NewIncident] = field(default_factory=list)
    user_tasks: list[NewUserTask] = field(default_factory=list)
    subscriptions: list[NewSubscription] = field(default_factory=list)
    # (element instance, state) for the execution trace, in order
    events: list[tuple[ElementInstance, InstanceState]] = field(default_factory=list)
    # element instances that ended while open work (jobs, tasks, ...) may still exist
    ended_with_work: list[ElementInstance] = field(default_factory=list)
    # thrown signals, sent by the command after the walk
    signals: list[tuple[ElementInstance, str]] = field(default_factory=list)
    # errors and escalations caught by the parent instance's call activity
    parent_triggers: list[ParentTrigger] = field(default_factory=list)
    # child instances to create for call activities
    calls: list[CallRequest] = field(default_factory=list)
    # variables the step set (script results, input and output mappings), in order: the scope
    # is None for the process scope, else the element instance whose local variable it is
    variables: list[tuple[ElementInstance | None, VariableChange]] = field(default_factory=list)


@dataclass(frozen=True)
class ParentBoundary:
    """A boundary event on the call activity that started this instance, in the parent instance."""

    element: Element
    element_instance_id: int
    element_id: int
    code: str | None  # the armed error/escalation code ("" catches all), None while not armed


@dataclass(frozen=True)
class ParentTrigger:
    """Fire a boundary event of the parent instance (a TRIGGER_EVENT task there)."""

    boundary: ParentBoundary
    payload: dict[str, Any]


@dataclass(frozen=True)
class CallRequest:
    """Start a child instance for a call activity."""

    element_instance: ElementInstance
    bpmn_process_id: str
    version: str | None
    variables: tuple[Any, ...] = ()  # VariableChange values for the child's process scope
    correlation_key: str | None = None
    tags: tuple[tuple[str, str], ...] = ()
    via_job: bool = False
