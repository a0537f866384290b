"""What the Solvexia facade reads: a run (its native instance) with what each answer needs,
each request on one connection."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from api.compat.solvexia.terms import RUN_ID_POINTER, parse_run_id, parse_step_id, run_id, steps_in_order
from api.context import baton
from engine.errors import not_found
from engine.queries.element_instances import query_element_instances
from engine.queries.engine_tasks import query_tasks
from engine.queries.incidents import query_incidents
from engine.queries.paging import MAX_LIMIT, Page
from engine.queries.process_instances import query_process_instances
from engine.queries.processes import query_elements, query_processes
from engine.queries.records import Element, ElementInstance, Incident, ProcessInstance
from engine.states import InstanceState, TaskKind, WorkState


@dataclass(frozen=True)
class StepRuns:
    """Every time a token reached a step's activity (oldest first), and, while the latest is
    still open, the open incidents of its instance."""

    runs: list[ElementInstance]
    open_incidents: list[Incident]


def _pages(fetch: Callable[[Page], list[Any]]) -> Iterator[Any]:
    offset = 0
    while True:
        page = fetch(Page(offset, MAX_LIMIT))
        yield from page
        if len(page) < MAX_LIMIT:
            return
        offset += MAX_LIMIT


def _find_run(conn: Any, text: str, pointer: str = RUN_ID_POINTER) -> ProcessInstance:
    """The native instance of a run id, or a 400/404 problem."""
    day, number = parse_run_id(text, pointer)
    found = query_process_instances(conn, partition=day, id=number)
    if not found:
        raise not_found("failed to find process run", f"process run {text} could not be found")
    return found[0]


def _steps(conn: Any, process_id: int) -> list[tuple[str, Element]]:
    return steps_in_order(list(_pages(lambda page: query_elements(conn, process_id=process_id, page=page))))


def _find_step(conn: Any, instance: ProcessInstance, text: str) -> Element:
    """The activity a step id names in the run's process, or a 400/404 problem."""
    bpmn_element_id = parse_step_id(text)
    for _, element in _steps(conn, instance.process_id):
        if element.bpmn_element_id == bpmn_element_id:
            return element
    raise not_found("failed to find step", f"process run {run_id(instance)} has no step {text}")


def _step_runs(conn: Any, instance: ProcessInstance, element: Element) -> StepRuns:
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
    incidents: list[Incident] = []
    if runs and runs[-1].ended_at is None:
        incidents = query_incidents(conn, partition=instance.partition, process_instance_id=instance.id, resolved=False)
    return StepRuns(runs, incidents)


def run_with_process_name(text: str) -> tuple[ProcessInstance, str | None]:
    """A run and the name of its process (None when it has none)."""
    with baton().db.engine.connect() as conn:
        instance = _find_run(conn, text)
        processes = query_processes(conn, id=instance.process_id)
    return instance, processes[0].name if processes else None


def run_with_start_pending(text: str, pointer: str = RUN_ID_POINTER) -> tuple[ProcessInstance, bool]:
    """A run and, when it is CREATED, whether its start is pending (a start engine task waits)."""
    with baton().db.engine.connect() as conn:
        instance = _find_run(conn, text, pointer)
        pending = instance.state == InstanceState.CREATED and bool(
            query_tasks(
                conn,
                partition=instance.partition,
                process_instance_id=instance.id,
                type=str(TaskKind.START_PROCESS_INSTANCE),
                states=(str(WorkState.CREATED),),
            )
        )
    return instance, pending


def steps(text: str) -> list[tuple[str, Element]]:
    """The steps of a run's process with their ``stepOrder``."""
    with baton().db.engine.connect() as conn:
        return _steps(conn, _find_run(conn, text).process_id)


def run_and_step(text: str, step_text: str) -> tuple[ProcessInstance, Element]:
    """A run and the activity a step id names in its process."""
    with baton().db.engine.connect() as conn:
        instance = _find_run(conn, text)
        return instance, _find_step(conn, instance, step_text)


def step_of_run(text: str, step_text: str) -> tuple[ProcessInstance, Element, StepRuns]:
    """A run, the activity a step id names, and the step's runs."""
    with baton().db.engine.connect() as conn:
        instance = _find_run(conn, text)
        element = _find_step(conn, instance, step_text)
        return instance, element, _step_runs(conn, instance, element)


def step_runs(text: str, element: Element) -> tuple[ProcessInstance, StepRuns]:
    """A run (read again) and the runs of one of its steps."""
    with baton().db.engine.connect() as conn:
        instance = _find_run(conn, text)
        return instance, _step_runs(conn, instance, element)
