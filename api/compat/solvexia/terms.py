"""A native process instance as a Solvexia process run: its ids, its statuses, the order of its
steps, and the date formats Solvexia writes them in.

- run id: ``pr-`` + the instance's partition date without dashes + ``-`` + the instance id
  (``pr-20250501-576``); process id: ``p-`` + the native process id; step id: ``as-`` + the BPMN
  element id of an activity.
- statuses: Solvexia's ``ProcessRunStatusType`` / ``ProcessStepStatusType`` names for native
  instance and element instance states (tables below, and ``docs/compat-solvexia.md``).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from api.schemas.common import INT32_MAX
from engine.errors import EngineError, ErrorCause, ErrorKind, not_found
from engine.model import ACTIVITIES, ElementType
from engine.queries.records import Element, ProcessInstance
from engine.states import InstanceState

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


def parse_step_id(text: str) -> str:
    """The BPMN element id a step id ``as-<element id>`` names (400 when malformed)."""
    match = STEP_PATTERN.match(text)
    if match is None:
        raise _invalid("step", text, "as-<BPMN element id>", "#/path/stepId")
    return match[1]


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


# --- steps -------------------------------------------------------------------------------------


def steps_in_order(elements: list[Element]) -> list[tuple[str, Element]]:
    """The activities of a process in document order, with their ``stepOrder``: ``1.k`` for the
    k-th activity of the process, ``1.k.j`` for the j-th activity inside sub-process ``1.k``."""
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
