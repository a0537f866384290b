"""Storage of processes, their elements and event definitions; the deployed-process cache."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, TypeAlias

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from engine.errors import not_found
from engine.model import ProcessModel, Timer, parse_definitions
from engine.runtime.deployed import Deployed, EventValues
from engine.store import tables

# A connection outside a command's transaction (the API's, the CLI's).
Connection: TypeAlias = sa.Connection
# A row of the process table (columns by name); callers read it, never build it.
ProcessRow: TypeAlias = sa.Row[Any]
# Columns of the event_definition table (by name).
EventDefinitionRow: TypeAlias = sa.Row[Any]

d = tables.event_definition

_cache: dict[int, Deployed] = {}
_cache_lock = threading.Lock()


def find(conn: sa.Connection, bpmn_process_id: str, version: str) -> ProcessRow | None:
    """The process with a BPMN id and version, if deployed."""
    return conn.execute(
        sa.select(tables.process).where(
            tables.process.c.bpmn_process_id == bpmn_process_id, tables.process.c.version == version
        )
    ).one_or_none()


def find_latest(conn: sa.Connection, bpmn_process_id: str) -> ProcessRow | None:
    """The most recently deployed version of a BPMN process id."""
    return conn.execute(
        sa.select(tables.process)
        .where(tables.process.c.bpmn_process_id == bpmn_process_id)
        .order_by(tables.process.c.id.desc())
        .limit(1)
    ).one_or_none()


def get(conn: sa.Connection, process_id: int) -> ProcessRow:
    """The process row with an id, or NOT_FOUND."""
    row = conn.execute(sa.select(tables.process).where(tables.process.c.id == process_id)).one_or_none()
    if row is None:
        raise not_found("failed to get process", f"process {process_id} could not be found")
    return row


def insert(conn: sa.Connection, values: Mapping[str, Any]) -> int | None:
    """Insert a process row; returns its id, or None when its BPMN process id and version exist
    (a concurrent deployment of the same version won)."""
    return conn.execute(
        postgresql.insert(tables.process)
        .values(**values)
        .on_conflict_do_nothing(constraint="process_bpmn_process_id_version_key")
        .returning(tables.process.c.id)
    ).scalar_one_or_none()


def ids_of(conn: sa.Connection, bpmn_process_id: str) -> list[int]:
    """The ids of every deployed version of a BPMN process id."""
    return list(
        conn.execute(
            sa.select(tables.process.c.id).where(tables.process.c.bpmn_process_id == bpmn_process_id)
        ).scalars()
    )


def insert_elements(conn: sa.Connection, process_id: int, model: ProcessModel) -> dict[str, int]:
    """Insert one element row per BPMN element (process first); returns BPMN id -> element id."""
    rows = [
        {
            "process_id": process_id,
            "bpmn_element_id": element.id,
            "bpmn_element_name": element.name,
            "bpmn_element_type": str(element.type),
            "parent_bpmn_element_id": element.parent_id,
        }
        for element in model.elements.values()
    ]
    result = conn.execute(
        sa.insert(tables.element).returning(
            tables.element.c.id, tables.element.c.bpmn_element_id, sort_by_parameter_order=True
        ),
        rows,
    )
    return {row.bpmn_element_id: row.id for row in result}


def insert_event_definitions(conn: sa.Connection, rows: list[dict[str, Any]]) -> None:
    """Insert the known event definitions of a new process."""
    if rows:
        conn.execute(sa.insert(tables.event_definition), rows)


def suspend_start_events(conn: sa.Connection, bpmn_process_id: str, keep_process_id: int) -> list[int]:
    """Suspend the start event definitions of every other version; returns their element ids."""
    result = conn.execute(
        sa.update(tables.event_definition)
        .where(
            tables.event_definition.c.bpmn_process_id == bpmn_process_id,
            tables.event_definition.c.process_id != keep_process_id,
            tables.event_definition.c.bpmn_element_type.in_(
                ["MESSAGE_START_EVENT", "SIGNAL_START_EVENT", "TIMER_START_EVENT"]
            ),
            tables.event_definition.c.is_suspended.is_(False),
        )
        .values(is_suspended=True)
        .returning(tables.event_definition.c.element_id)
    )
    return [row.element_id for row in result]


def message_start_event(conn: sa.Connection, message_name: str) -> EventDefinitionRow | None:
    """The active (non-suspended) message start event with a message name, if any."""
    return conn.execute(
        sa.select(d.c.element_id, d.c.process_id, d.c.bpmn_element_id, d.c.bpmn_element_type)
        .where(
            d.c.message_name == message_name,
            d.c.is_suspended.is_(False),
            d.c.bpmn_element_type == "MESSAGE_START_EVENT",
        )
        .order_by(d.c.element_id)
        .limit(1)
    ).one_or_none()


def message_start_elsewhere(conn: sa.Connection, message_name: str, bpmn_process_id: str) -> EventDefinitionRow | None:
    """The BPMN process id and version of another process whose active message start event has
    this message name, if any."""
    return conn.execute(
        sa.select(d.c.bpmn_process_id, d.c.version)
        .where(
            d.c.message_name == message_name,
            d.c.bpmn_element_type == "MESSAGE_START_EVENT",
            d.c.is_suspended.is_(False),
            d.c.bpmn_process_id != bpmn_process_id,
        )
        .limit(1)
    ).one_or_none()


def signal_start_events(conn: sa.Connection, signal_name: str) -> list[EventDefinitionRow]:
    """Every active (non-suspended) signal start event with a signal name."""
    return list(
        conn.execute(
            sa.select(d.c.element_id, d.c.process_id, d.c.bpmn_element_id).where(
                d.c.signal_name == signal_name,
                d.c.is_suspended.is_(False),
                d.c.bpmn_element_type == "SIGNAL_START_EVENT",
            )
        ).all()
    )


def stop_start_timers(conn: sa.Connection, element_ids: Iterable[int], now: datetime) -> None:
    """Cancel the pending timer start tasks of start events a new version replaced."""
    task = tables.task
    conn.execute(
        sa.update(task)
        .where(task.c.element_id.in_(element_ids), task.c.process_instance_id.is_(None), task.c.state == "CREATED")
        .values(state="CANCELED", completed_at=now)
    )


def queued_count(conn: sa.Connection, bpmn_process_id: str) -> int | None:
    """How many instances of a BPMN process id wait for their turn (None: it has no queue)."""
    queue = tables.process_queue
    return conn.execute(
        sa.select(queue.c.queued_count).where(queue.c.bpmn_process_id == bpmn_process_id)
    ).scalar_one_or_none()


def load_deployed(conn: sa.Connection, process_id: int) -> Deployed:
    """The executable form of a process, parsed once per process and cached."""
    cached = _cache.get(process_id)
    if cached is not None:
        return cached
    row = get(conn, process_id)
    definitions = parse_definitions(row.bpmn_xml)
    model = definitions.process(row.bpmn_process_id)
    if model is None:  # cannot happen for a stored process; guards a hand-edited database
        raise not_found("failed to load process", f"process {process_id} has no BPMN process {row.bpmn_process_id}")
    element_ids = {
        r.bpmn_element_id: r.id
        for r in conn.execute(
            sa.select(tables.element.c.id, tables.element.c.bpmn_element_id).where(
                tables.element.c.process_id == process_id
            )
        )
    }
    events: dict[str, EventValues] = {}
    for r in conn.execute(sa.select(tables.event_definition).where(tables.event_definition.c.process_id == process_id)):
        timer = None
        if r.time_date or r.time_cycle or r.time_duration:
            timer = Timer(time_date=r.time_date, time_duration=r.time_duration, time_cycle=r.time_cycle)
        element = model.elements.get(r.bpmn_element_id)
        events[r.bpmn_element_id] = EventValues(
            message_name=r.message_name,
            correlation_key=element.event.correlation_key if element and element.event else None,
            signal_name=r.signal_name,
            error_code=r.error_code,
            escalation_code=r.escalation_code,
            timer=timer,
        )
    deployed = Deployed(
        id=row.id,
        bpmn_process_id=row.bpmn_process_id,
        version=row.version,
        parallelism=row.parallelism,
        model=model,
        element_ids=element_ids,
        events=events,
    )
    with _cache_lock:
        _cache[process_id] = deployed
    return deployed


def forget(process_id: int | None = None) -> int:
    """Drop cached process graphs (all, or one process); returns how many were dropped."""
    with _cache_lock:
        if process_id is None:
            count = len(_cache)
            _cache.clear()
            return count
        return 1 if _cache.pop(process_id, None) is not None else 0


def event_definition_row(
    process: sa.Row | Mapping[str, Any], element_id: int, bpmn_element_id: str, element_type: str, values: EventValues
) -> dict[str, Any]:
    """An ``event_definition`` row for an element whose name, code or timer is known."""
    timer = values.timer or Timer()
    return {
        "element_id": element_id,
        "process_id": process["id"],
        "bpmn_process_id": process["bpmn_process_id"],
        "version": process["version"],
        "bpmn_element_id": bpmn_element_id,
        "bpmn_element_type": element_type,
        "is_suspended": False,
        "error_code": values.error_code,
        "escalation_code": values.escalation_code,
        "message_name": values.message_name,
        "signal_name": values.signal_name,
        "time_date": timer.time_date,
        "time_cycle": timer.time_cycle,
        "time_duration": timer.time_duration,
    }


def to_record_time(value: datetime) -> datetime:
    """Timestamps as stored (milliseconds)."""
    return value.replace(microsecond=value.microsecond // 1000 * 1000)
