"""Loading a process instance into a :class:`Step`, and the inserts commands share.

The lock functions take the instance row (``SELECT … FOR UPDATE``; DESIGN §3: everything that
changes an instance takes this lock first); ``begin`` loads its active element instances into a
step. ``flush.flush_step`` writes the step back.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import REGCLASS

from engine import variables as codec
from engine.errors import not_found
from engine.runtime.instances import ElementInstance, ParentBoundary, StepInstance
from engine.runtime.step import Step
from engine.states import InstanceState, WorkState
from engine.store import partitions, tables
from engine.store import processes as process_store
from engine.store.db import TaskRef, Tx

pi_t = tables.process_instance
ei_t = tables.element_instance


def lock_instance(tx: Tx, partition: date, instance_id: int, *, title: str) -> sa.Row:
    """Lock a process instance row for the rest of the transaction, or NOT_FOUND."""
    row = tx.conn.execute(
        sa.select(pi_t).where(pi_t.c.partition == partition, pi_t.c.id == instance_id).with_for_update()
    ).one_or_none()
    if row is None:
        raise not_found(title, f"process instance {partition.isoformat()}/{instance_id} could not be found")
    return row


def lock_instance_of(tx: Tx, table: sa.Table, partition: date, id: int, *, title: str, what: str) -> sa.Row:
    """Lock the process instance a job, task, user task or incident belongs to, in one statement
    (which also fetches element instance ids ahead for the step that follows)."""
    owner = (
        sa.select(table.c.process_instance_id).where(table.c.partition == partition, table.c.id == id).scalar_subquery()
    )
    row = tx.conn.execute(
        sa.select(pi_t, prefetched_ids())
        .where(pi_t.c.partition == partition, pi_t.c.id == owner)
        .with_for_update(of=pi_t)
    ).one_or_none()
    if row is None:
        raise not_found(title, f"{what} {partition.isoformat()}/{id} could not be found")
    return row


def to_instance(row: sa.Row) -> StepInstance:
    """A process instance row as a runtime value."""
    return StepInstance(
        partition=row.partition,
        id=row.id,
        process_id=row.process_id,
        bpmn_process_id=row.bpmn_process_id,
        version=row.version,
        state=InstanceState(row.state),
        created_at=row.created_at,
        created_by=row.created_by,
        correlation_key=row.correlation_key,
        parent_id=row.parent_id,
        root_id=row.root_id,
        parent_element_instance_id=row.parent_element_instance_id,
        started_at=row.started_at,
        ended_at=row.ended_at,
        ended_by=row.ended_by,
        end_reason=row.end_reason,
        message_id=row.message_id,
        start_event=row.start_event,
        was_queued=row.state == InstanceState.QUEUED,
    )


def begin(tx: Tx, row: sa.Row, keyring: codec.Keyring) -> Step:
    """A step on a locked instance, with its active element instances loaded."""
    deployed = process_store.load_deployed(tx.conn, row.process_id)
    # An instance that has not started yet has no element instances to load.
    rows = (
        []
        if row.state in (InstanceState.CREATED, InstanceState.QUEUED)
        else tx.conn.execute(
            sa.select(ei_t)
            .where(ei_t.c.partition == row.partition, ei_t.c.process_instance_id == row.id, ei_t.c.ended_at.is_(None))
            .order_by(ei_t.c.id)
        ).all()
    )
    by_id: dict[int, ElementInstance] = {}
    for r in rows:
        by_id[r.id] = ElementInstance(
            element=deployed.element(r.bpmn_element_id),
            element_id=r.element_id,
            parent=None,
            state=InstanceState(r.state),
            created_at=r.created_at,
            created_by=r.created_by,
            id=r.id,
            parent_id=r.parent_id,
            prev_id=r.prev_id,
            prev_element_id=r.prev_element_id,
            context=r.context,
            started_at=r.started_at,
            ended_at=r.ended_at,
            is_new=False,
        )
    for ei in by_id.values():
        ei.parent = by_id.get(ei.parent_id) if ei.parent_id is not None else None
        ei.prev = by_id.get(ei.prev_id) if ei.prev_id is not None else None
    partition, instance_id = row.partition, row.id
    step = Step(
        now=tx.now,
        worker_id=tx.worker_id,
        process=deployed,
        instance=to_instance(row),
        element_instances=by_id.values(),
        load_variables=lambda: load_variables(tx.conn, partition, instance_id, keyring),
        load_parent_boundaries=lambda: load_parent_boundaries(tx.conn, row),
        lookup_process=lambda bpmn_process_id, version: lookup_process(tx.conn, bpmn_process_id, version),
    )
    ids = row._mapping.get("ids")
    if ids and (row.partition, ids[0]) not in tx.claimed_ids:  # one row may begin two steps
        tx.claimed_ids.add((row.partition, ids[0]))
        step.id_pool = list(ids)
    return step


def lookup_process(conn: sa.Connection, bpmn_process_id: str, version: str | None) -> int | None:
    """The id of a process version (the latest when ``version`` is None)."""
    row = (
        process_store.find(conn, bpmn_process_id, version)
        if version is not None
        else process_store.find_latest(conn, bpmn_process_id)
    )
    return row.id if row is not None else None


def load_parent_boundaries(conn: sa.Connection, row: sa.Row) -> list[ParentBoundary]:
    """The armed error/escalation boundary events of the call activity that started an instance."""
    if row.parent_id is None or row.parent_element_instance_id is None:
        return []
    parent = conn.execute(
        sa.select(pi_t.c.process_id).where(pi_t.c.partition == row.partition, pi_t.c.id == row.parent_id)
    ).one_or_none()
    if parent is None:
        return []
    deployed = process_store.load_deployed(conn, parent.process_id)
    rows = conn.execute(
        sa.select(ei_t.c.id, ei_t.c.element_id, ei_t.c.bpmn_element_id, ei_t.c.context)
        .where(
            ei_t.c.partition == row.partition,
            ei_t.c.prev_id == row.parent_element_instance_id,
            ei_t.c.state == str(InstanceState.CREATED),
            ei_t.c.bpmn_element_type.in_(["ERROR_BOUNDARY_EVENT", "ESCALATION_BOUNDARY_EVENT"]),
        )
        .order_by(ei_t.c.id)
    ).all()
    call_activity = rows[0].bpmn_element_id if rows else None
    order = {}
    if call_activity is not None:
        attached_to = deployed.element(call_activity).attached_to
        order = {e.id: i for i, e in enumerate(deployed.model.boundary_events(attached_to or ""))}
    found = [
        ParentBoundary(
            element=deployed.element(r.bpmn_element_id),
            element_instance_id=r.id,
            element_id=r.element_id,
            code=(r.context or {}).get("code"),
        )
        for r in rows
    ]
    return sorted(found, key=lambda b: order.get(b.element.id, 0))


def load_variables(
    conn: sa.Connection, partition: date, instance_id: int, keyring: codec.Keyring
) -> dict[int | None, dict[str, Any]]:
    """Every variable of an instance, decoded for expressions, by scope (None = process)."""
    v = tables.variable
    scopes: dict[int | None, dict[str, Any]] = {}
    for r in conn.execute(
        sa.select(
            v.c.element_instance_id,
            v.c.name,
            v.c.encoding,
            v.c.value,
            v.c.blob,
            v.c.is_encrypted,
            v.c.is_compressed,
            v.c.key_id,
        ).where(v.c.partition == partition, v.c.process_instance_id == instance_id)
    ):
        data = codec.load(r.encoding, r.value, r.blob, r.is_encrypted, r.is_compressed, r.key_id, keyring)
        scopes.setdefault(r.element_instance_id, {})[r.name] = codec.to_value(data)
    return scopes


def prefetched_ids() -> sa.Label:
    """A select-list column ``ids`` for a query that locks a process instance: four element instance ids
    for its step, taken from the partition's sequence in the lock query itself (``begin`` hands
    them to the step). An ARRAY(subquery): an aggregate would not be allowed with FOR UPDATE."""
    return sa.literal_column(
        "ARRAY(SELECT nextval(CAST('element_instance_' || to_char(process_instance.partition, 'YYYYMMDD')"
        " || '_id_seq' AS regclass)) FROM generate_series(1, 4))"
    ).label("ids")


def insert_with_ids(
    conn: sa.Connection,
    table: sa.Table,
    partition: date,
    rows: list[dict[str, Any]],
    returning: tuple[sa.Column, ...] = (),
) -> list[sa.Row]:
    """Insert rows into a partitioned table, ids from the partition's sequence."""
    if not rows:
        return []
    seq = partitions.sequence_name(table, partition)
    statement = sa.insert(table).values(id=sa.func.nextval(sa.cast(sa.literal(seq), REGCLASS)))
    if returning:
        return list(conn.execute(statement.returning(*returning), rows))
    conn.execute(statement, rows)
    return []


def insert_jobs(tx: Tx, partition: date, rows: list[dict[str, Any]]) -> None:
    """Insert jobs of one partition (complete rows); workers see them through the job trigger."""
    insert_with_ids(tx.conn, tables.job, partition, rows)


def insert_tasks(tx: Tx, rows: list[dict[str, Any]]) -> None:
    """Insert engine tasks (all of one partition or several); publish the due ones after commit."""
    if not rows:
        return
    t = tables.task
    by_partition: dict[date, list[dict[str, Any]]] = {}
    for row in rows:
        due = row["due_at"] <= tx.now
        row.setdefault("state", str(WorkState.CREATED))
        row.setdefault("created_at", tx.now)
        row.setdefault("created_by", tx.worker_id)
        row.setdefault("retry_count", 0)
        row["dispatched_at"] = tx.now if due else None
        by_partition.setdefault(row["partition"], []).append(row)
    for partition, items in by_partition.items():
        for r in insert_with_ids(tx.conn, t, partition, items, returning=(t.c.id, t.c.type, t.c.due_at)):
            if r.due_at <= tx.now:
                tx.new_tasks.append(TaskRef(partition, r.id, r.type, r.due_at))
