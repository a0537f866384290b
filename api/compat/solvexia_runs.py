"""A native process instance as a Solvexia process run: its ids, its statuses, its steps, and the
date formats Solvexia writes them in. Read-only; every value comes from native queries.

- run id: ``pr-`` + the instance's partition date without dashes + ``-`` + the instance id
  (``pr-20250501-576``); process id: ``p-`` + the native process id; step id: ``as-`` + the BPMN
  element id of an activity.
- statuses: Solvexia's ``ProcessRunStatusType`` / ``ProcessStepStatusType`` names for native
  instance and element instance states (tables below, and ``docs/compat-solvexia.md``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa

from api.schemas.common import INT32_MAX
from engine.errors import EngineError, ErrorCause, ErrorKind, not_found
from engine.model import ACTIVITIES, ElementType
from engine.queries.engine_tasks import query_tasks
from engine.queries.incidents import query_incidents
from engine.queries.paging import MAX_LIMIT, Page
from engine.queries.process_instances import query_element_instances, query_process_instances
from engine.queries.processes import query_elements, query_processes
from engine.queries.records import Element, ElementInstance, ProcessInstance
from engine.states import InstanceState, TaskKind, WorkState

RUN_PATTERN = re.compile(r"^pr-(\d{8})-(\d{1,10})$")
STEP_PATTERN = re.compile(r"^as-([^\s/]{1,255})$")
RUN_ID_POINTER = "#/path/processRunId"
ACTIVITY_TYPES = frozenset(str(t) for t in ACTIVITIES)

# Solvexia's ProcessRunStatusType for each native instance state. CREATED is "Scheduled"
# instead while its start is pending (after .../start, before a worker has started it).
RUN_STATUS = {
    InstanceState.CREATED: "NotStarted",
    InstanceState.QUEUED: "Scheduled",
    InstanceState.STARTED: "Running",
    InstanceState.SUSPENDED: "Running",
    InstanceState.COMPLETED: "Finished",
    InstanceState.CANCELED: "Cancelled",
    InstanceState.TERMINATED: "Cancelled",
}
# Solvexia's ProcessStepStatusType for the state of the step's latest element instance; an open
# incident on it makes a started step "Failed".
STEP_STATUS = {
    InstanceState.CREATED: "Scheduled",
    InstanceState.QUEUED: "Scheduled",
    InstanceState.STARTED: "Running",
    InstanceState.SUSPENDED: "Running",
    InstanceState.COMPLETED: "Success",
    InstanceState.CANCELED: "Cancelled",
    InstanceState.TERMINATED: "Cancelled",
}
RUNNING_MESSAGE = "step is currently running"


# --- ids ---------------------------------------------------------------------------------------


def _invalid(what: str, text: str, example: str, pointer: str) -> EngineError:
    return EngineError(
        ErrorKind.VALIDATION,
        f"invalid {what} id",
        f"{text!r} is not a {what} id like {example}",
        [ErrorCause(pointer, "pattern", f"must look like {example}", text)],
    )


def parse_run_id(text: str, pointer: str = RUN_ID_POINTER) -> tuple[date, int]:
    """The native instance address of a run id ``pr-YYYYMMDD-N`` (400 malformed, 404 impossible)."""
    match = RUN_PATTERN.match(text)
    if match is None:
        raise _invalid("process run", text, "pr-20250501-576", pointer)
    try:
        day = datetime.strptime(match[1], "%Y%m%d").date()
    except ValueError:
        raise _invalid("process run", text, "pr-20250501-576", pointer) from None
    number = int(match[2])
    if not 0 < number <= INT32_MAX:
        raise not_found("failed to find process run", f"process run {text} could not be found")
    return day, number


def run_id(instance: ProcessInstance) -> str:
    """The run id of a native instance."""
    return f"pr-{instance.partition:%Y%m%d}-{instance.id}"


# --- formats -----------------------------------------------------------------------------------


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def ticks(value: datetime) -> str:
    """``2020-06-15T02:24:14.2700000`` (UTC, seven fraction digits, as Solvexia's Process Run)."""
    value = _utc(value)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond:06d}0"


def millis(value: datetime | None, zone: str = "") -> str | None:
    """``2025-02-05T22:40:19.923`` (UTC; with ``Z`` for steps, as in Solvexia's examples)."""
    if value is None:
        return None
    value = _utc(value)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}{zone}"


def seconds(started: datetime | None, ended: datetime | None, now: datetime) -> int | None:
    """Whole seconds from start to end (to ``now`` while running); None before the start."""
    if started is None:
        return None
    return max(0, int(((ended or now) - started).total_seconds()))


# --- runs --------------------------------------------------------------------------------------


def find_run(conn: sa.Connection, text: str, pointer: str = RUN_ID_POINTER) -> ProcessInstance:
    """The native instance of a run id, or a 400/404 problem."""
    day, number = parse_run_id(text, pointer)
    found = query_process_instances(conn, partition=day, id=number)
    if not found:
        raise not_found("failed to find process run", f"process run {text} could not be found")
    return found[0]


def process_run(conn: sa.Connection, instance: ProcessInstance) -> dict[str, Any]:
    """Solvexia's Process Run: name, description and alerts are the instance's tags of these
    names (the name defaults to ``<process name> : run #<id>``)."""
    processes = query_processes(conn, id=instance.process_id)
    tags = {tag.name: tag.value for tag in instance.tags}
    process_name = (processes[0].name if processes else None) or instance.bpmn_process_id
    modified = max(t for t in (instance.created_at, instance.started_at, instance.ended_at) if t is not None)
    return {
        "id": run_id(instance),
        "name": tags.get("name") or f"{process_name} : run #{instance.id}",
        "process": f"p-{instance.process_id}",
        "alertEmailAddress": tags.get("alertEmailAddress", ""),
        "alertSMS": tags.get("alertSMS", ""),
        "description": tags.get("description", ""),
        "lastModifiedBy": instance.ended_by or instance.created_by,
        "dateModified": ticks(modified),
        "dateCreated": ticks(instance.created_at),
    }


def run_status(conn: sa.Connection, instance: ProcessInstance, now: datetime) -> dict[str, Any]:
    """Solvexia's Process Run Status (the duration under both names Solvexia's page uses)."""
    status = RUN_STATUS.get(InstanceState(instance.state), "Running")
    if instance.state == InstanceState.CREATED and query_tasks(
        conn,
        partition=instance.partition,
        process_instance_id=instance.id,
        type=str(TaskKind.START_PROCESS_INSTANCE),
        states=(str(WorkState.CREATED),),
    ):
        status = "Scheduled"
    duration = seconds(instance.started_at, instance.ended_at, now)
    return {
        "id": run_id(instance),
        "dateStarted": millis(instance.started_at),
        "dateFinished": millis(instance.ended_at),
        "runDurationInSeconds": duration,
        "runDurationInSec": duration,
        "status": status,
    }


# --- steps -------------------------------------------------------------------------------------


def _pages(fetch: Callable[[Page], list[Any]]) -> Iterator[Any]:
    offset = 0
    while True:
        page = fetch(Page(offset, MAX_LIMIT))
        yield from page
        if len(page) < MAX_LIMIT:
            return
        offset += MAX_LIMIT


def steps_of(conn: sa.Connection, process_id: int) -> list[tuple[str, Element]]:
    """The activities of a process in document order, with their ``stepOrder``: ``1.k`` for the
    k-th activity of the process, ``1.k.j`` for the j-th activity inside sub-process ``1.k``."""
    elements = list(_pages(lambda page: query_elements(conn, process_id=process_id, page=page)))
    children: dict[str | None, list[Element]] = {}
    for element in elements:
        children.setdefault(element.parent_bpmn_element_id, []).append(element)
    root = next((e for e in elements if e.bpmn_element_type == ElementType.PROCESS), None)
    ordered: list[tuple[str, Element]] = []
    pending = [(root.bpmn_element_id, "1")] if root is not None else []
    while pending:  # without recursion: sub-processes nest arbitrarily deep
        scope_id, prefix = pending.pop()
        activities = [e for e in children.get(scope_id, []) if e.bpmn_element_type in ACTIVITY_TYPES]
        for number, element in enumerate(activities, start=1):
            ordered.append((f"{prefix}.{number}", element))
            if element.bpmn_element_type == ElementType.SUB_PROCESS:
                pending.append((element.bpmn_element_id, f"{prefix}.{number}"))
    return sorted(ordered, key=lambda item: [int(part) for part in item[0].split(".")])


def find_step(conn: sa.Connection, instance: ProcessInstance, text: str) -> Element:
    """The activity a step id names in the run's process, or a 400/404 problem."""
    match = STEP_PATTERN.match(text)
    if match is None:
        raise _invalid("step", text, "as-<BPMN element id>", "#/path/stepId")
    for _, element in steps_of(conn, instance.process_id):
        if element.bpmn_element_id == match[1]:
            return element
    raise not_found("failed to find step", f"process run {run_id(instance)} has no step {text}")


def step_status(conn: sa.Connection, instance: ProcessInstance, element: Element, now: datetime) -> dict[str, Any]:
    """Solvexia's Step Run Status, of the latest time a token reached the activity."""
    runs: list[ElementInstance] = list(
        _pages(
            lambda page: query_element_instances(
                conn,
                partition=instance.partition,
                process_instance_id=instance.id,
                bpmn_element_id=element.bpmn_element_id,
                page=page,
            )
        )
    )
    answer: dict[str, Any] = {
        "id": f"as-{element.bpmn_element_id}",
        "dateFinished": None,
        "dateStarted": None,
        "runDurationInSec": None,
        "runDurationInSeconds": None,
        "status": "Skipped" if instance.state == InstanceState.COMPLETED else "NotStarted",
        "completionMessage": "",
    }
    if not runs:
        return answer
    latest = runs[-1]
    status = STEP_STATUS.get(InstanceState(latest.state), "Running")
    message = RUNNING_MESSAGE if status == "Running" else ""
    if latest.ended_at is None:
        open_incidents = query_incidents(
            conn, partition=instance.partition, process_instance_id=instance.id, resolved=False
        )
        mine = [incident for incident in open_incidents if incident.element_instance_id == latest.id]
        if mine:
            status, message = "Failed", mine[-1].error or "the step has an open incident"
    started = latest.started_at or latest.created_at
    duration = seconds(started, latest.ended_at, now)
    answer.update(
        {
            "dateFinished": millis(latest.ended_at, "Z"),
            "dateStarted": millis(started, "Z"),
            "runDurationInSec": duration,
            "runDurationInSeconds": duration,
            "status": status,
            "completionMessage": message,
        }
    )
    return answer
