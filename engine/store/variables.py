"""Storage of variables: set, delete and read them per scope, within the per-instance limit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeAlias

import sqlalchemy as sa

from engine import variables as codec
from engine.errors import EngineError, ErrorCause, ErrorKind
from engine.store import partitions, tables
from engine.store.db import Tx
from engine.store.steps import insert_with_ids

v = tables.variable

# A row of the element_instance table (columns by name); callers read it, never build it.
ElementInstanceRow: TypeAlias = sa.Row[Any]


@dataclass(frozen=True)
class Scope:
    """Where variables live: a process instance, or one of its element instances."""

    partition: date
    process_instance_id: int
    process_id: int
    element_instance_id: int | None = None
    element_id: int | None = None


def apply(
    tx: Tx, scope: Scope, changes: Sequence[codec.VariableChange], policy: codec.Policy, pointer: str = "#/variables"
) -> None:
    """Set or delete variables of a scope, keeping the instance within its byte limit.

    The caller holds the instance lock. Exceeding the limit is a LIMIT error (HTTP 413) and
    changes nothing.
    """
    if not changes:
        return
    codec.check(changes, pointer, policy)
    conn = tx.conn
    scope_filter = (
        v.c.element_instance_id.is_(None)
        if scope.element_instance_id is None
        else v.c.element_instance_id == scope.element_instance_id
    )
    names = [c.name for c in changes]
    old = {
        r.name: r.size
        for r in conn.execute(
            sa.select(v.c.name, v.c.size).where(
                v.c.partition == scope.partition,
                v.c.process_instance_id == scope.process_instance_id,
                scope_filter,
                v.c.name.in_(names),
            )
        )
    }
    last = {c.name: c for c in changes}  # the last change of a name wins
    delta = sum((c.data.size if c.data else 0) - old.get(c.name, 0) for c in last.values())
    pi = tables.process_instance
    where = (pi.c.partition == scope.partition, pi.c.id == scope.process_instance_id)
    total = conn.execute(sa.select(pi.c.variable_bytes).where(*where)).scalar_one()
    if delta > 0 and total + delta > policy.max_instance_bytes:
        raise EngineError(
            ErrorKind.LIMIT,
            "variable limit exceeded",
            f"process instance {scope.partition.isoformat()}/{scope.process_instance_id} may hold at most "
            f"{policy.max_instance_bytes} bytes of variables; these changes would bring it to {total + delta}",
            [ErrorCause(pointer, "max_bytes", f"at most {policy.max_instance_bytes} bytes per process instance")],
        )
    deleted = [name for name, c in last.items() if c.data is None and name in old]
    if deleted:
        conn.execute(
            sa.delete(v).where(
                v.c.partition == scope.partition,
                v.c.process_instance_id == scope.process_instance_id,
                scope_filter,
                v.c.name.in_(deleted),
            )
        )
    updates, inserts = [], []
    for name, change in last.items():
        if change.data is None:
            continue
        stored = codec.store(change.data, policy.keyring, policy.compress_bytes)
        values = {
            "encoding": change.data.encoding,
            "is_encrypted": stored.is_encrypted,
            "is_compressed": stored.is_compressed,
            "key_id": stored.key_id,
            "value": stored.value,
            "blob": stored.blob,
            "size": stored.size,
            "updated_at": tx.now,
            "updated_by": tx.worker_id,
        }
        if name in old:
            updates.append({**values, "n": name})
        else:
            inserts.append(
                {
                    **values,
                    "partition": scope.partition,
                    "element_id": scope.element_id,
                    "element_instance_id": scope.element_instance_id,
                    "process_id": scope.process_id,
                    "process_instance_id": scope.process_instance_id,
                    "name": name,
                    "created_at": tx.now,
                    "created_by": tx.worker_id,
                }
            )
    if updates:
        conn.execute(
            sa.update(v)
            .where(
                v.c.partition == scope.partition,
                v.c.process_instance_id == scope.process_instance_id,
                scope_filter,
                v.c.name == sa.bindparam("n"),
            )
            .values({key: sa.bindparam(key) for key in updates[0] if key != "n"}),
            updates,
        )
    insert_with_ids(conn, v, scope.partition, inserts)
    if delta:
        conn.execute(sa.update(pi).where(*where).values(variable_bytes=pi.c.variable_bytes + delta))


def read(
    conn: sa.Connection,
    partition: date,
    process_instance_id: int,
    element_instance_ids: Sequence[int | None],
    names: Sequence[str] | None,
    keyring: codec.Keyring,
) -> dict[str, codec.VariableData]:
    """Variables of the given scopes, inner scopes (later in the list) shadowing outer ones."""
    filters = []
    for scope_id in element_instance_ids:
        filters.append(v.c.element_instance_id.is_(None) if scope_id is None else v.c.element_instance_id == scope_id)
    query = sa.select(v).where(
        v.c.partition == partition, v.c.process_instance_id == process_instance_id, sa.or_(*filters)
    )
    if names:
        query = query.where(v.c.name.in_(list(names)))
    order = {scope_id: index for index, scope_id in enumerate(element_instance_ids)}
    rows = sorted(conn.execute(query), key=lambda r: order.get(r.element_instance_id, 0))
    result: dict[str, codec.VariableData] = {}
    for r in rows:
        result[r.name] = codec.load(r.encoding, r.value, r.blob, r.is_encrypted, r.is_compressed, r.key_id, keyring)
    return dict(sorted(result.items()))


def instance_exists(tx: Tx, partition: date, instance_id: int) -> bool:
    """Whether a process instance exists (active or ended)."""
    pi = tables.process_instance
    found = tx.conn.execute(sa.select(pi.c.id).where(pi.c.partition == partition, pi.c.id == instance_id)).first()
    return found is not None


def element_instance(tx: Tx, partition: date, id: int) -> ElementInstanceRow | None:
    """An element instance row (the scope of element variables), if it exists."""
    ei = tables.element_instance
    return tx.conn.execute(sa.select(ei).where(ei.c.partition == partition, ei.c.id == id)).one_or_none()


def parent_scope(tx: Tx, partition: date, id: int) -> int | None:
    """The id of the element instance enclosing another (None at the top)."""
    ei = tables.element_instance
    return tx.conn.execute(sa.select(ei.c.parent_id).where(ei.c.partition == partition, ei.c.id == id)).scalar()


def copy_process_variables(
    tx: Tx,
    partition: date,
    source_instance: int,
    target_instance: int,
    target_process_id: int,
    max_instance_bytes: int | None = None,
) -> None:
    """Copy every process-scope variable of one instance to another, as stored (still encrypted
    or compressed), replacing variables of the same name. Call activities pass variables so."""
    seq = partitions.sequence_name(v, partition)
    tx.conn.execute(
        sa.text(
            """
            INSERT INTO variable (partition, id, element_id, element_instance_id, process_id, process_instance_id,
                                  name, encoding, is_encrypted, is_compressed, key_id, value, blob, size,
                                  created_at, created_by, updated_at, updated_by)
            SELECT partition, nextval(CAST(:seq AS regclass)), NULL, NULL, :process_id, :target, name, encoding,
                   is_encrypted, is_compressed, key_id, value, blob, size, :now, :by, :now, :by
            FROM variable
            WHERE partition = :partition AND process_instance_id = :source AND element_instance_id IS NULL
            ON CONFLICT (partition, process_instance_id, (coalesce(element_instance_id, 0)), name) DO UPDATE SET
                encoding = excluded.encoding, is_encrypted = excluded.is_encrypted,
                is_compressed = excluded.is_compressed, key_id = excluded.key_id, value = excluded.value,
                blob = excluded.blob, size = excluded.size, updated_at = excluded.updated_at,
                updated_by = excluded.updated_by
            """
        ),
        {
            "seq": seq,
            "process_id": target_process_id,
            "target": target_instance,
            "now": tx.now,
            "by": tx.worker_id,
            "partition": partition,
            "source": source_instance,
        },
    )
    pi = tables.process_instance
    total = tx.conn.execute(
        sa.update(pi)
        .where(pi.c.partition == partition, pi.c.id == target_instance)
        .values(
            variable_bytes=sa.select(sa.func.coalesce(sa.func.sum(v.c.size), 0))
            .where(v.c.partition == partition, v.c.process_instance_id == target_instance)
            .scalar_subquery()
        )
        .returning(pi.c.variable_bytes)
    ).scalar_one()
    if max_instance_bytes is not None and total > max_instance_bytes:
        raise EngineError(
            ErrorKind.LIMIT,
            "variable limit exceeded",
            f"passing variables would give process instance {partition.isoformat()}/{target_instance} "
            f"{total} bytes of variables, more than {max_instance_bytes}",
        )
