"""Several writes of one transaction, sent to PostgreSQL as one statement.

A step writes to several tables (element instances, trace events, jobs, tasks, the instance).
Sent one by one that is a round trip each; sent as data-modifying CTEs of one statement it is
one. Every write is a statement of a fixed shape with bound parameters — the rows of an insert
travel as one JSON parameter that ``jsonb_to_recordset`` unpacks — so SQLAlchemy compiles each
shape, and each combination of shapes, once per process rather than once per step (compiling
multi-row VALUES was most of a step's CPU time).

All parts of a batch see the same snapshot, so a batch must never write the same row twice;
callers keep such writes apart. A batch can return the engine tasks it inserted (to publish
after commit) and how many rows a guarded update matched.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, REGCLASS

from engine.store.db import TaskRef


@dataclass(frozen=True)
class Write:
    """One write: a statement whose shape ``key`` names (equal keys, equal statements) and its
    parameters. Parameter names are unique to the shape, except the ones a whole batch shares."""

    key: str
    statement: sa.Executable
    params: dict[str, Any]

    def run(self, conn: sa.Connection) -> int:
        """Execute it alone; returns the number of rows it matched."""
        return conn.execute(self.statement, self.params).rowcount


def insert(
    table: sa.Table, rows: list[dict[str, Any]], *, sequence: str | None = None, returning: tuple[str, ...] = ()
) -> Write | None:
    """Insert rows (which all name the same columns) into ``table``; with ``sequence``, each row's
    id comes from that sequence (a partition's). None when there are no rows."""
    if not rows:
        return None
    columns = tuple(rows[0])
    if any(len(row) != len(columns) or any(c not in row for c in columns) for row in rows):
        raise ValueError(f"the rows of one insert into {table.name} must name the same columns")
    key = f"{table.name}:{','.join(columns)}:{sequence is not None}:{','.join(returning)}"
    params: dict[str, Any] = {f"{table.name}_rows": encode_rows(rows)}
    if sequence is not None:
        params[f"{table.name}_seq"] = sequence
    return Write(key, _insert_statement(table, columns, sequence is not None, returning), params)


@functools.cache
def _insert_statement(
    table: sa.Table, columns: tuple[str, ...], with_id: bool, returning: tuple[str, ...]
) -> sa.Insert:
    source = (
        sa.func.jsonb_to_recordset(sa.cast(sa.bindparam(f"{table.name}_rows", type_=sa.String), JSONB))
        .table_valued(*(sa.column(c, table.c[c].type) for c in columns), name=f"{table.name}_rows")
        .render_derived(with_types=True)
    )
    names: list[str] = list(columns)
    values: list[sa.ColumnElement[Any]] = [source.c[c] for c in columns]
    if with_id:
        names.insert(0, "id")
        values.insert(0, sa.func.nextval(sa.cast(sa.bindparam(f"{table.name}_seq", type_=sa.String), REGCLASS)))
    statement = sa.insert(table).from_select(names, sa.select(*values))
    if returning:
        statement = statement.returning(*(table.c[c] for c in returning))
    return statement


def encode_rows(rows: list[dict[str, Any]]) -> str:
    """Rows as the JSON text ``jsonb_to_recordset`` reads (times and dates in ISO 8601)."""
    return json.dumps(rows, default=_encode, separators=(",", ":"))


def _encode(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} cannot be written as a row value")


# The composed statement of each combination of write shapes seen (one object per combination,
# so SQLAlchemy's compiled cache serves it); bounded, though a process sees few combinations.
_composed: dict[tuple[Any, ...], sa.Select] = {}
_COMPOSED_LIMIT = 1024


@dataclass
class Batch:
    """Writes of one transaction, executed together."""

    writes: list[Write] = field(default_factory=list)
    # An INSERT INTO task … RETURNING partition, id, type, due_at: its rows come back.
    tasks: Write | None = None
    # An UPDATE … RETURNING something: how many rows it matched comes back.
    guard: Write | None = None

    def add(self, write: Write | None) -> None:
        """Add a write (None is ignored)."""
        if write is not None:
            self.writes.append(write)

    def execute(self, conn: sa.Connection) -> tuple[list[TaskRef], int | None]:
        """Run every write; returns (inserted tasks, rows the guard matched)."""
        if self.tasks is None and self.guard is None:
            if not self.writes:
                return [], None
            if len(self.writes) == 1:
                self.writes[0].run(conn)
                return [], None
        params: dict[str, Any] = {}
        for write in (*self.writes, self.tasks, self.guard):
            if write is None:
                continue
            for name, value in write.params.items():
                if params.setdefault(name, value) != value:
                    raise ValueError(f"two writes of one batch give parameter {name} different values")
        key = (tuple(w.key for w in self.writes), self.tasks and self.tasks.key, self.guard and self.guard.key)
        statement = _composed.get(key)
        if statement is None:
            if len(_composed) >= _COMPOSED_LIMIT:
                _composed.clear()
            statement = _composed[key] = self._compose()
        row = conn.execute(statement, params).one()._mapping
        refs = [
            TaskRef(date.fromisoformat(p), int(i), t, datetime.fromisoformat(d))
            for p, i, t, d in (row.get("tasks") or [])
        ]
        return refs, row.get("guarded")

    def _compose(self) -> sa.Select:
        """One SELECT whose CTEs are the batch's writes."""
        ctes = [write.statement.cte(f"w{index}") for index, write in enumerate(self.writes)]
        columns: list[sa.ColumnElement[Any]] = []
        if self.tasks is not None:
            new = self.tasks.statement.cte("new_tasks")
            ctes.append(new)
            row = sa.func.json_build_array(new.c.partition, new.c.id, new.c.type, new.c.due_at)
            columns.append(sa.select(sa.func.json_agg(row)).scalar_subquery().label("tasks"))
        if self.guard is not None:
            guarded = self.guard.statement.cte("guard")
            ctes.append(guarded)
            columns.append(sa.select(sa.func.count()).select_from(guarded).scalar_subquery().label("guarded"))
        if not columns:
            columns.append(sa.literal_column("1").label("done"))
        return sa.select(*columns).add_cte(*ctes)
