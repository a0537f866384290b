"""Reading variable metadata (``POST /variables/query``) and, for lists, the process variables of
several instances at once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa

from engine.queries.criteria import where_equal, where_in
from engine.queries.paging import Page
from engine.queries.records import Variable
from engine.store import tables
from engine.variables import Keyring, VariableData, load

v = tables.variable


def query_variables(
    conn: sa.Connection,
    *,
    partition: date | None = None,
    process_instance_id: int | None = None,
    element_instance_id: int | None = None,
    names: Sequence[str] = (),
    page: Page = Page(),
) -> list[Variable]:
    """Variables matching the criteria, without their values."""
    columns = (
        v.c.partition,
        v.c.id,
        v.c.process_id,
        v.c.process_instance_id,
        v.c.element_id,
        v.c.element_instance_id,
        v.c.name,
        v.c.encoding,
        v.c.is_encrypted,
        v.c.size,
        v.c.created_at,
        v.c.created_by,
        v.c.updated_at,
        v.c.updated_by,
    )
    query = where_equal(
        sa.select(*columns).order_by(v.c.partition, v.c.id),
        (v.c.partition, partition),
        (v.c.process_instance_id, process_instance_id),
        (v.c.element_instance_id, element_instance_id),
    )
    query = where_in(query, v.c.name, names)
    return [
        Variable(
            partition=r.partition,
            id=r.id,
            process_id=r.process_id,
            process_instance_id=r.process_instance_id,
            name=r.name,
            encoding=r.encoding,
            encrypted=r.is_encrypted,
            created_at=r.created_at,
            created_by=r.created_by,
            updated_at=r.updated_at,
            updated_by=r.updated_by,
            element_id=r.element_id,
            element_instance_id=r.element_instance_id,
            size=r.size,
        )
        for r in conn.execute(page.apply(query))
    ]


def read_process_variables(
    conn: sa.Connection, instances: Sequence[tuple[date, int]], keyring: Keyring
) -> dict[tuple[date, int], dict[str, VariableData]]:
    """The process-scope variables (with values, decrypted) of several instances in one query,
    by ``(partition, id)``; an instance without variables maps to an empty dict."""
    result: dict[tuple[date, int], dict[str, VariableData]] = {key: {} for key in instances}
    if not instances:
        return result
    rows = conn.execute(
        sa.select(v)
        .where(
            sa.tuple_(v.c.partition, v.c.process_instance_id).in_(list(instances)), v.c.element_instance_id.is_(None)
        )
        .order_by(v.c.partition, v.c.process_instance_id, v.c.name)
    )
    for r in rows:
        result[(r.partition, r.process_instance_id)][r.name] = load(
            r.encoding, r.value, r.blob, r.is_encrypted, r.is_compressed, r.key_id, keyring
        )
    return result
