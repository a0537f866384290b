"""The immutable process graph: what the parser produces and the runtime walks.

Element types carry go-bpmn's names. Everything here is a frozen value; a parsed process is
safe to cache and share between threads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from functools import cached_property

from engine.errors import ErrorCause


class ElementType(StrEnum):
    """The BPMN element types the engine knows, named as on the wire."""

    BUSINESS_RULE_TASK = "BUSINESS_RULE_TASK"
    CALL_ACTIVITY = "CALL_ACTIVITY"
    ERROR_BOUNDARY_EVENT = "ERROR_BOUNDARY_EVENT"
    ERROR_END_EVENT = "ERROR_END_EVENT"
    ESCALATION_BOUNDARY_EVENT = "ESCALATION_BOUNDARY_EVENT"
    ESCALATION_END_EVENT = "ESCALATION_END_EVENT"
    ESCALATION_THROW_EVENT = "ESCALATION_THROW_EVENT"
    EVENT_BASED_GATEWAY = "EVENT_BASED_GATEWAY"
    EXCLUSIVE_GATEWAY = "EXCLUSIVE_GATEWAY"
    INCLUSIVE_GATEWAY = "INCLUSIVE_GATEWAY"
    LINK_CATCH_EVENT = "LINK_CATCH_EVENT"
    LINK_THROW_EVENT = "LINK_THROW_EVENT"
    MANUAL_TASK = "MANUAL_TASK"
    MESSAGE_BOUNDARY_EVENT = "MESSAGE_BOUNDARY_EVENT"
    MESSAGE_CATCH_EVENT = "MESSAGE_CATCH_EVENT"
    MESSAGE_END_EVENT = "MESSAGE_END_EVENT"
    MESSAGE_START_EVENT = "MESSAGE_START_EVENT"
    MESSAGE_THROW_EVENT = "MESSAGE_THROW_EVENT"
    NONE_END_EVENT = "NONE_END_EVENT"
    NONE_START_EVENT = "NONE_START_EVENT"
    NONE_THROW_EVENT = "NONE_THROW_EVENT"
    PARALLEL_GATEWAY = "PARALLEL_GATEWAY"
    PROCESS = "PROCESS"
    SCRIPT_TASK = "SCRIPT_TASK"
    SEND_TASK = "SEND_TASK"
    SERVICE_TASK = "SERVICE_TASK"
    SIGNAL_BOUNDARY_EVENT = "SIGNAL_BOUNDARY_EVENT"
    SIGNAL_CATCH_EVENT = "SIGNAL_CATCH_EVENT"
    SIGNAL_END_EVENT = "SIGNAL_END_EVENT"
    SIGNAL_START_EVENT = "SIGNAL_START_EVENT"
    SIGNAL_THROW_EVENT = "SIGNAL_THROW_EVENT"
    SUB_PROCESS = "SUB_PROCESS"
    TASK = "TASK"
    TERMINATE_END_EVENT = "TERMINATE_END_EVENT"
    TIMER_BOUNDARY_EVENT = "TIMER_BOUNDARY_EVENT"
    TIMER_CATCH_EVENT = "TIMER_CATCH_EVENT"
    TIMER_START_EVENT = "TIMER_START_EVENT"
    USER_TASK = "USER_TASK"


START_EVENTS = frozenset(
    {
        ElementType.NONE_START_EVENT,
        ElementType.MESSAGE_START_EVENT,
        ElementType.SIGNAL_START_EVENT,
        ElementType.TIMER_START_EVENT,
    }
)
BOUNDARY_EVENTS = frozenset(
    {
        ElementType.ERROR_BOUNDARY_EVENT,
        ElementType.ESCALATION_BOUNDARY_EVENT,
        ElementType.MESSAGE_BOUNDARY_EVENT,
        ElementType.SIGNAL_BOUNDARY_EVENT,
        ElementType.TIMER_BOUNDARY_EVENT,
    }
)
CATCH_EVENTS = frozenset(
    {
        ElementType.MESSAGE_CATCH_EVENT,
        ElementType.SIGNAL_CATCH_EVENT,
        ElementType.TIMER_CATCH_EVENT,
    }
)
# Elements that run as one EXECUTE job for a worker.
JOB_TASKS = frozenset(
    {
        ElementType.BUSINESS_RULE_TASK,
        ElementType.SCRIPT_TASK,
        ElementType.SEND_TASK,
        ElementType.SERVICE_TASK,
    }
)
# Activities: elements that can carry boundary events.
ACTIVITIES = frozenset(
    {
        *JOB_TASKS,
        ElementType.CALL_ACTIVITY,
        ElementType.MANUAL_TASK,
        ElementType.SUB_PROCESS,
        ElementType.TASK,
        ElementType.USER_TASK,
    }
)
SCOPES = frozenset({ElementType.PROCESS, ElementType.SUB_PROCESS})


class EventKind(StrEnum):
    """The kind of an event definition."""

    NONE = "NONE"
    ERROR = "ERROR"
    ESCALATION = "ESCALATION"
    LINK = "LINK"
    MESSAGE = "MESSAGE"
    SIGNAL = "SIGNAL"
    TERMINATE = "TERMINATE"
    TIMER = "TIMER"


@dataclass(frozen=True)
class Timer:
    """A timer value as written in the model: exactly one of the three is set.

    Values are kept as text: ISO 8601 date-time, ISO 8601 duration, and for a cycle either an
    ISO 8601 repeating interval (``R3/PT10M``) or a CRON expression. A value starting with ``=``
    is a FEEL expression evaluated when the timer is set.
    """

    time_date: str | None = None
    time_duration: str | None = None
    time_cycle: str | None = None


@dataclass(frozen=True)
class EventDefinition:
    """What an event waits for or throws. Unset names and codes are left to definitions or jobs."""

    kind: EventKind
    id: str | None = None
    message_name: str | None = None
    # Expression (FEEL, usually "=orderId") giving the message correlation key.
    correlation_key: str | None = None
    signal_name: str | None = None
    error_code: str | None = None
    escalation_code: str | None = None
    link_name: str | None = None
    timer: Timer | None = None


@dataclass(frozen=True)
class SequenceFlow:
    """A directed connection between two elements of the same scope."""

    id: str
    source_id: str
    target_id: str
    name: str | None = None
    # Condition as written (FEEL with a leading "=", "${...}", or bare text in the process's
    # expression language).
    condition: str | None = None
    line: int | None = None
    # The conditionExpression's own language, when it names one Baton evaluates ("feel", "juel",
    # "python"); None: the process's expression language.
    language: str | None = None


@dataclass(frozen=True)
class Assignment:
    """Who should work a user task, read from Zeebe, Camunda 7 or standard BPMN attributes."""

    assignee: str | None = None
    candidate_users: tuple[str, ...] = ()
    candidate_groups: tuple[str, ...] = ()
    due_date: str | None = None
    follow_up_date: str | None = None
    priority: str | None = None


@dataclass(frozen=True)
class Parameter:
    """A Camunda 7 parameter value (``camunda:inputParameter``/``outputParameter``).

    ``text``: a whole expression (``${…}``), a template mixing text and ``${…}`` parts
    (``Hello ${name}``, a string), or a constant string; ``list``: ``camunda:list`` of values;
    ``map``: ``camunda:map`` of ``camunda:entry key`` values.
    """

    kind: str  # "text", "list" or "map"
    text: str = ""
    items: tuple[tuple[str | None, Parameter], ...] = ()  # (key or None for a list item, value)


@dataclass(frozen=True)
class Mapping_:
    """One input or output mapping: evaluate ``source`` (an expression; a bare name is a FEEL
    path) and store it as ``target``; a Camunda 7 parameter is its ``value`` instead."""

    source: str
    target: str
    value: Parameter | None = None


@dataclass(frozen=True)
class Script:
    """A script task's script that the engine runs (engine.model.scripts): ``language`` feel,
    juel or python, its ``source`` as the runtime compiles it, and the variable its value goes
    to (feel and juel; a Python script stores each variable it assigns)."""

    language: str
    source: str
    result_variable: str | None = None


@dataclass(frozen=True)
class CallVariable:
    """One ``camunda:in`` or ``camunda:out`` (or ``flowable:``) of a call activity: copy the
    variable ``source``, the value of ``source_expression`` (JUEL), or every variable (``all``)
    into the other instance, as ``target``; ``local`` reads (in) or writes (out) only the call
    activity's own variables."""

    target: str | None = None
    source: str | None = None
    source_expression: str | None = None
    all: bool = False
    local: bool = False


@dataclass(frozen=True)
class CallVariables:
    """The Camunda 7 / Flowable way of passing variables to and from a called instance: only what
    ``ins`` and ``outs`` name crosses, and the called instance's business key (Baton's
    correlation key) is the caller's when ``business_key_from_caller``, else ``business_key``
    (a literal or an expression), else none."""

    ins: tuple[CallVariable, ...] = ()
    outs: tuple[CallVariable, ...] = ()
    business_key: str | None = None
    business_key_from_caller: bool = False


@dataclass(frozen=True)
class RetryCycle:
    """A failed-job retry cycle (``camunda:failedJobRetryTimeCycle``), as the engines that wrote it
    count it: ``R5/PT10M`` runs the job at most 5 times, so 4 retries 10 minutes apart; a list
    ``PT1M,PT5M`` is one retry per item, each after its delay.

    ``retries`` counts retries after the first failure (go-bpmn's job ``retries``).
    """

    text: str
    retries: int
    delays: tuple[timedelta, ...]

    def delay(self, retry_count: int) -> timedelta:
        """The delay before retry number ``retry_count + 1``; past the list, its last item."""
        return self.delays[min(retry_count, len(self.delays) - 1)]


@dataclass(frozen=True)
class Element:
    """One BPMN flow element (or the process itself)."""

    id: str
    type: ElementType
    name: str | None = None
    # Enclosing scope (process or sub-process id); None only for the PROCESS element.
    parent_id: str | None = None
    incoming: tuple[str, ...] = ()  # sequence flow ids, in document order
    outgoing: tuple[str, ...] = ()  # sequence flow ids, in document order
    default_flow: str | None = None  # exclusive and inclusive gateways
    event: EventDefinition | None = None
    attached_to: str | None = None  # boundary events
    cancel_activity: bool = True  # boundary events: interrupting or not
    job_type: str | None = None  # zeebe:taskDefinition type, camunda:topic
    job_retries: int | None = None  # zeebe:taskDefinition retries, else the retry cycle's
    retry_cycle: RetryCycle | None = None  # camunda/flowable:failedJobRetryTimeCycle
    headers: tuple[tuple[str, str], ...] = ()  # zeebe:taskHeaders, camunda properties
    called_element: str | None = None  # call activity: "processId" or "processId:version"
    called_version: str | None = None  # call activity: a fixed version ("latest" when unset)
    propagate_all_child_variables: bool = True
    # camunda:in/out, flowable:in/out; None: none given, the Zeebe way (see engine.runtime.calls)
    call_variables: CallVariables | None = None
    assignment: Assignment | None = None  # user tasks
    inputs: tuple[Mapping_, ...] = ()
    outputs: tuple[Mapping_, ...] = ()
    is_executable: bool = True  # PROCESS only
    triggered_by_event: bool = False  # SUB_PROCESS only: an event sub-process
    script: Script | None = None  # SCRIPT_TASK run by the engine (else a job, or nothing)
    pre_script: Script | None = None  # activities: spiffworkflow:preScript (Python assignments)
    post_script: Script | None = None  # activities: spiffworkflow:postScript
    # camunda:asyncBefore (camunda:async, flowable:async) / camunda:asyncAfter: a transaction
    # boundary before entering / after leaving the element (engine.runtime.continuations)
    async_before: bool = False
    async_after: bool = False
    line: int | None = None  # source line in the XML, for error messages


@dataclass(frozen=True)
class ProcessModel:
    """One executable process: its elements (the process element first) and sequence flows."""

    id: str
    elements: Mapping[str, Element]
    flows: Mapping[str, SequenceFlow]
    name: str | None = None
    collaboration_id: str | None = None
    participant_id: str | None = None
    participant_name: str | None = None
    # What the parser found wrong while reading the process (unsupported constructs, broken
    # references…), and the ids of the elements it refused, so that validating a process that
    # is not executable reports the real causes and never a flow to a refused element.
    problems: tuple[ErrorCause, ...] = field(default=(), compare=False)
    refused_ids: frozenset[str] = field(default=frozenset(), compare=False)
    # What Baton read leniently (a missing isExecutable, a flow without id…): deploying says so.
    warnings: tuple[ErrorCause, ...] = field(default=(), compare=False)
    # The dialect of expressions written as bare text ("feel" or "python"); see
    # engine.model.dialects. "=…" is always FEEL and "${…}"/"#{…}" always JUEL.
    expression_language: str = "feel"

    @property
    def process(self) -> Element:
        """The PROCESS element, the root scope."""
        return self.elements[self.id]

    @cached_property
    def _children(self) -> Mapping[str, tuple[Element, ...]]:
        children: dict[str, list[Element]] = {}
        for element in self.elements.values():
            if element.parent_id is not None:
                children.setdefault(element.parent_id, []).append(element)
        return {scope: tuple(items) for scope, items in children.items()}

    @cached_property
    def _boundary(self) -> Mapping[str, tuple[Element, ...]]:
        attached: dict[str, list[Element]] = {}
        for element in self.elements.values():
            if element.attached_to is not None:
                attached.setdefault(element.attached_to, []).append(element)
        return {activity: tuple(items) for activity, items in attached.items()}

    def children(self, scope_id: str) -> tuple[Element, ...]:
        """The elements directly inside a process or sub-process, in document order."""
        return self._children.get(scope_id, ())

    def boundary_events(self, activity_id: str) -> tuple[Element, ...]:
        """The boundary events attached to an activity, in document order."""
        return self._boundary.get(activity_id, ())

    def outgoing(self, element_id: str) -> tuple[SequenceFlow, ...]:
        """The outgoing sequence flows of an element, in document order."""
        return tuple(self.flows[flow_id] for flow_id in self.elements[element_id].outgoing)

    def incoming(self, element_id: str) -> tuple[SequenceFlow, ...]:
        """The incoming sequence flows of an element, in document order."""
        return tuple(self.flows[flow_id] for flow_id in self.elements[element_id].incoming)

    def none_start_event(self, scope_id: str) -> Element | None:
        """The none start event of a scope, if it has one."""
        for child in self.children(scope_id):
            if child.type is ElementType.NONE_START_EVENT:
                return child
        return None

    def implicit_starts(self, scope_id: str) -> tuple[Element, ...]:
        """Where a scope without start events begins (BPMN 2.0 §10.5.2): its flow elements
        without incoming sequence flows, other than boundary events and link catch events."""
        return tuple(
            child
            for child in self.children(scope_id)
            if not child.incoming
            and child.type not in BOUNDARY_EVENTS
            and child.type is not ElementType.LINK_CATCH_EVENT
            and not child.triggered_by_event
        )


@dataclass(frozen=True)
class Definitions:
    """A parsed BPMN document: its executable processes and the collaboration, if any."""

    id: str | None
    processes: tuple[ProcessModel, ...] = field(default_factory=tuple)
    collaboration_id: str | None = None

    def process(self, bpmn_process_id: str) -> ProcessModel | None:
        """The process with the given BPMN id, if the document has it."""
        for process in self.processes:
            if process.id == bpmn_process_id:
                return process
        return None
