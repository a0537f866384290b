"""Snapshots: one process instance as read in one transaction, with what a facade shows of it.

A snapshot holds the instance, its variables as JSON values, its element instances (without the
PROCESS scope), the names of its process's elements and, on request, the process name, jobs,
incidents, child instances and the trace. Facades that answer in another system's shape (the
Atom facade) read through here and only reshape what was read.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from engine.queries.element_instances import query_element_instances
from engine.queries.incidents import query_incidents
from engine.queries.jobs import query_jobs
from engine.queries.paging import MAX_LIMIT, Page
from engine.queries.process_instances import query_process_instances
from engine.queries.processes import query_elements, query_processes
from engine.queries.records import ElementInstance, Incident, Job, ProcessInstance
from engine.queries.statistics import statistics
from engine.queries.trace import TraceEvent, trace
from engine.queries.variables import read_process_variables
from engine.store import variables as variable_store
from engine.store.db import Tx
from engine.variables import Policy, to_value


@dataclass(frozen=True)
class Snapshot:
    """One instance as read in one transaction."""

    instance: ProcessInstance
    variables: dict[str, Any]
    tokens: list[ElementInstance] = field(default_factory=list)  # without the PROCESS scope
    names: dict[str, str | None] = field(default_factory=dict)  # bpmn element id -> name
    element_count: int = 0
    process_name: str | None = None
    jobs: list[Job] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)
    children: list[ProcessInstance] = field(default_factory=list)
    trace: list[TraceEvent] = field(default_factory=list)


@dataclass(frozen=True)
class InstancePage:
    """A page of instances, how many match in all, and per instance its variables (JSON values)
    and current activity (the BPMN element id of its newest active element instance)."""

    instances: list[ProcessInstance]
    total: int
    extras: list[tuple[dict[str, Any], str | None]]


def decoded_variables(tx: Tx, partition: date, id: int, policy: Policy) -> dict[str, Any]:
    """Process variables as JSON values (other encodings as their string); the caller has found the
    instance in this transaction."""
    stored = variable_store.read(tx.conn, partition, id, [None], [], policy.keyring)
    return {name: to_value(data) for name, data in stored.items()}


def read_snapshot(
    tx: Tx, partition: date, id: int, policy: Policy, *, details: bool = False, with_trace: bool = False
) -> Snapshot | None:
    """An instance with its variables, tokens and element names (and, with ``details``, its
    process name, jobs, incidents and child instances; with ``with_trace``, its trace); None
    when there is no such instance."""
    found = query_process_instances(tx.conn, partition=partition, id=id)
    if not found:
        return None
    instance = found[0]
    conn = tx.conn
    elements = query_elements(conn, process_id=instance.process_id)
    tokens = [
        ei
        for ei in query_element_instances(conn, partition=partition, process_instance_id=id)
        if ei.bpmn_element_type != "PROCESS"
    ]
    extra: dict[str, Any] = {}
    if details:
        process = query_processes(conn, id=instance.process_id)
        extra = {
            "process_name": process[0].name if process else None,
            "jobs": query_jobs(conn, partition=partition, process_instance_id=id),
            "incidents": query_incidents(conn, partition=partition, process_instance_id=id),
            "children": query_process_instances(conn, partition=partition, parent_id=id),
        }
    snapshot = Snapshot(
        instance=instance,
        variables=decoded_variables(tx, partition, id, policy),
        tokens=tokens,
        names={e.bpmn_element_id: e.bpmn_element_name for e in elements},
        element_count=sum(1 for e in elements if e.bpmn_element_type != "PROCESS"),
        **extra,
    )
    if with_trace:
        snapshot = replace(snapshot, trace=trace(conn, partition, id))
    return snapshot


def read_current_activities(
    tx: Tx, instances: list[ProcessInstance], policy: Policy, active_states: Collection[str]
) -> list[tuple[dict[str, Any], str | None]]:
    """Variables and current activity of each listed instance (two queries for the whole page):
    the current activity is the newest element instance in one of ``active_states``."""
    keys = [(i.partition, i.id) for i in instances]
    variables = read_process_variables(tx.conn, keys, policy.keyring)
    running = [(i.partition, i.id) for i in instances if i.ended_at is None]
    current: dict[tuple[date, int], str] = {}
    if running:
        for ei in query_element_instances(
            tx.conn, process_instances=running, states=sorted(active_states), page=Page(0, MAX_LIMIT)
        ):
            if ei.bpmn_element_type != "PROCESS":
                current[(ei.partition, ei.process_instance_id)] = ei.bpmn_element_id  # the newest wins
    return [({name: to_value(data) for name, data in variables[key].items()}, current.get(key)) for key in keys]


def read_instance_page(
    tx: Tx,
    *,
    states: Collection[str],
    sort_by: str,
    descending: bool,
    page: Page,
    criteria: Mapping[str, Any],
    policy: Policy,
    active_states: Collection[str],
) -> InstancePage:
    """A page of instances in one of ``states`` (any state when empty) matching ``criteria``
    (``bpmn_process_id``, ``started_after``, ``started_before``), the total that match, and each
    one's variables and current activity (see :func:`read_current_activities`)."""
    rows = query_process_instances(
        tx.conn, states=states, sort_by=sort_by, descending=descending, page=page, **criteria
    )
    counts = statistics(tx.conn, **criteria).instances
    total = sum(n for state, n in counts.items() if not states or state in states)
    return InstancePage(rows, total, read_current_activities(tx, rows, policy, active_states))
