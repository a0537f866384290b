"""Reading processes and their elements."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from engine.errors import not_found
from engine.queries.criteria import where_equal
from engine.queries.paging import Page, Results
from engine.queries.records import Element, Process, tags_from_json
from engine.store import tables


def to_process(row: sa.Row) -> Process:
    """A process row as a result value."""
    return Process(
        id=row.id,
        bpmn_process_id=row.bpmn_process_id,
        version=row.version,
        created_at=row.created_at,
        created_by=row.created_by,
        parallelism=row.parallelism,
        tags=tags_from_json(row.tags),
        name=row.name,
        bpmn_collaboration_id=row.bpmn_collaboration_id,
        bpmn_participant_id=row.bpmn_participant_id,
        bpmn_participant_name=row.bpmn_participant_name,
    )


def query_processes(
    conn: sa.Connection,
    *,
    id: int | None = None,
    bpmn_process_id: str | None = None,
    version: str | None = None,
    tags: Mapping[str, str] | None = None,
    page: Page = Page(),
) -> Results[Process]:
    """Processes matching every given criterion, oldest first."""
    p = tables.process
    query = where_equal(
        sa.select(p).order_by(p.c.id),
        (p.c.id, id),
        (p.c.bpmn_process_id, bpmn_process_id),
        (p.c.version, version),
    )
    if tags:
        query = query.where(p.c.tags.contains(dict(tags)))
    return page.fetch(conn, query, to_process)


def bpmn_xml(conn: sa.Connection, process_id: int) -> str:
    """The BPMN XML a process was deployed from."""
    xml = conn.execute(sa.select(tables.process.c.bpmn_xml).where(tables.process.c.id == process_id)).scalar()
    if xml is None:
        raise not_found("failed to get BPMN XML", f"process {process_id} could not be found")
    return xml


def query_elements(
    conn: sa.Connection, *, process_id: int | None = None, bpmn_element_id: str | None = None, page: Page = Page()
) -> list[Element]:
    """Elements matching the criteria, in document order per process."""
    e, d = tables.element, tables.event_definition
    query = (
        sa.select(
            e,
            d.c.element_id.label("definition_id"),
            d.c.is_suspended,
            d.c.error_code,
            d.c.escalation_code,
            d.c.message_name,
            d.c.signal_name,
            d.c.time_date,
            d.c.time_cycle,
            d.c.time_duration,
        )
        .select_from(e.outerjoin(d, d.c.element_id == e.c.id))
        .order_by(e.c.id)
    )
    query = where_equal(query, (e.c.process_id, process_id), (e.c.bpmn_element_id, bpmn_element_id))
    return [
        Element(
            id=row.id,
            process_id=row.process_id,
            bpmn_element_id=row.bpmn_element_id,
            bpmn_element_type=row.bpmn_element_type,
            bpmn_element_name=row.bpmn_element_name,
            parent_bpmn_element_id=row.parent_bpmn_element_id,
            event_definition=_event_definition(row._mapping),
        )
        for row in conn.execute(page.apply(query))
    ]


def _event_definition(row: Mapping[str, Any]) -> dict[str, Any] | None:
    if row.get("definition_id") is None:
        return None
    timer = {"time": row["time_date"], "timeCycle": row["time_cycle"], "timeDuration": row["time_duration"]}
    timer = {k: v for k, v in timer.items() if v}
    data = {
        "suspended": row["is_suspended"],
        "errorCode": row["error_code"],
        "escalationCode": row["escalation_code"],
        "messageName": row["message_name"],
        "signalName": row["signal_name"],
        "timer": timer or None,
    }
    return {k: v for k, v in data.items() if v is not None}
