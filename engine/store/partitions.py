"""Partition DDL: create, detach and drop one day of every partitioned table.

This runs every day (CREATE_PARTITION, DETACH_PARTITION, DROP_PARTITION engine tasks), so it is
SQL here and not an Alembic migration. Identifiers are built only from a ``date`` object, never
from user input; values are bound parameters.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import TypeAlias

import sqlalchemy as sa
import sqlalchemy.dialects.postgresql

from engine.states import WorkState
from engine.store import tables
from engine.store.db import Database, is_connection_error, unavailable

# A connection of its own for DDL that runs outside a transaction (``ddl_connection``).
DdlConnection: TypeAlias = sa.Connection
ep = tables.engine_partition

# Partitions known to exist in this process; partitions are never dropped while instances can
# still be created in them, so a positive answer never goes stale.
_known: set[date] = set()

# Advisory lock key serializing partition DDL between processes.
_DDL_LOCK = 7_100_001
# Session-level advisory lock key held by the one connection detaching partitions: PostgreSQL
# allows one pending ``DETACH … CONCURRENTLY`` per partitioned table, and every detach touches
# every partitioned table. Kept apart from _DDL_LOCK so creating a day never waits on a detach.
_DETACH_LOCK = 7_100_002
# A running DDL task holds the two-key advisory lock (days since _EPOCH, task id), which nothing
# else uses: PostgreSQL frees it when the session ends, so a free lock means its worker is gone.
_EPOCH = date(2000, 1, 1)


def suffix(partition: date) -> str:
    """The name suffix of a partition, e.g. ``20250501``."""
    if not isinstance(partition, date):
        raise TypeError("partition must be a date")
    return partition.strftime("%Y%m%d")


def partition_table(table: sa.Table, partition: date) -> str:
    """The name of a table's partition for a day."""
    return f"{table.name}_{suffix(partition)}"


def sequence_name(table: sa.Table, partition: date) -> str:
    """The id sequence of a table's partition for a day."""
    return f"{table.name}_{suffix(partition)}_id_seq"


def next_ids(conn: sa.Connection, table: sa.Table, partition: date, count: int) -> list[int]:
    """Allocate ``count`` ids from a partition's sequence in one round trip."""
    if count <= 0:
        return []
    if count == 1:
        return [conn.execute(_NEXTVAL_ONE, {"seq": sequence_name(table, partition)}).scalar_one()]
    rows = conn.execute(_NEXTVAL_MANY, {"seq": sequence_name(table, partition), "n": count})
    return [row[0] for row in rows]


_NEXTVAL_ONE = sa.text("SELECT nextval(CAST(:seq AS regclass))")
_NEXTVAL_MANY = sa.text("SELECT nextval(CAST(:seq AS regclass)) FROM generate_series(1, :n)")


def ensure(conn: sa.Connection, partition: date, now: datetime) -> None:
    """Make sure the partition for a day exists (creating it if needed)."""
    if partition in _known:
        return
    exists = conn.execute(
        sa.select(tables.engine_partition.c.state).where(tables.engine_partition.c.partition == partition)
    ).scalar_one_or_none()
    if exists == "CREATED":
        _known.add(partition)
        return
    create(conn, partition, now)


def create(conn: sa.Connection, partition: date, now: datetime) -> bool:
    """Create every partitioned table's partition and sequence for a day; False if it existed."""
    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _DDL_LOCK})
    state = conn.execute(
        sa.select(tables.engine_partition.c.state).where(tables.engine_partition.c.partition == partition)
    ).scalar_one_or_none()
    if state is not None and state != "DROPPED":
        if state == "CREATED":
            _known.add(partition)
        return False
    value = partition.isoformat()
    for table in tables.PARTITIONED_TABLES:
        name = partition_table(table, partition)
        conn.execute(sa.text(f"CREATE SEQUENCE IF NOT EXISTS {sequence_name(table, partition)} AS integer"))
        conn.execute(sa.text(f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF {table.name} FOR VALUES IN ('{value}')"))
    conn.execute(
        sa.dialects.postgresql.insert(tables.engine_partition)
        .values(partition=partition, state="CREATED", created_at=now)
        .on_conflict_do_update(
            index_elements=["partition"],
            set_={"state": "CREATED", "created_at": now, "detached_at": None, "dropped_at": None},
        )
    )
    _known.add(partition)
    return True


def existing(conn: sa.Connection) -> list[tuple[date, str]]:
    """Every partition the engine knows, with its state, oldest first."""
    rows = conn.execute(
        sa.select(tables.engine_partition.c.partition, tables.engine_partition.c.state).order_by(
            tables.engine_partition.c.partition
        )
    )
    return [(row.partition, row.state) for row in rows]


def create_range(conn: sa.Connection, days: Iterable[date], now: datetime) -> list[date]:
    """Create the partitions of several days; return the ones that were new."""
    return [day for day in days if create(conn, day, now)]


def forget(partition: date) -> None:
    """Drop a partition from this process's cache (after detaching it)."""
    _known.discard(partition)


def lock_detach(conn: sa.Connection) -> bool:
    """Take the session-level lock that serializes detaching; False if another session holds it.

    Held until :func:`unlock` (or the end of the session), across the autocommit statements.
    """
    return bool(conn.execute(sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": _DETACH_LOCK}).scalar_one())


def lock_task(conn: sa.Connection, partition: date, id: int) -> bool:
    """Take the session-level lock saying that engine task ``partition/id`` runs on this session."""
    return bool(conn.execute(_LOCK_TASK, {"day": (partition - _EPOCH).days, "id": id}).scalar_one())


def unlock(conn: sa.Connection) -> None:
    """Release every session-level advisory lock this connection holds."""
    conn.execute(sa.text("SELECT pg_advisory_unlock_all()"))


def tasks_running(conn: sa.Connection) -> set[tuple[date, int]]:
    """The engine tasks (partition, id) whose :func:`lock_task` lock some live session holds.

    Reads ``pg_locks`` rather than trying the lock, so it never takes (or leaves held) anything.
    """
    return {(_EPOCH + timedelta(days=row.day), row.id) for row in conn.execute(_TASKS_RUNNING)}


_LOCK_TASK = sa.text("SELECT pg_try_advisory_lock(CAST(:day AS integer), CAST(:id AS integer))")
_TASKS_RUNNING = sa.text(
    "SELECT classid::bigint AS day, objid::bigint AS id FROM pg_locks "
    "WHERE locktype = 'advisory' AND objsubid = 2 AND granted "
    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)


def detach(conn: sa.Connection, table: sa.Table, partition: date) -> None:
    """Detach one table's partition of a day without blocking the table for long.

    Runs ``DETACH PARTITION … CONCURRENTLY`` on an autocommit connection; a detach that was
    interrupted earlier is completed with ``FINALIZE``; an already detached one is left alone.
    A detach of another day left pending (its worker died) is finished first, since PostgreSQL
    refuses a new one while it is pending; the caller holds :func:`lock_detach`.
    """
    for other in _pending_detach(conn, table):
        if other != partition:
            conn.execute(sa.text(f"ALTER TABLE {table.name} DETACH PARTITION {partition_table(table, other)} FINALIZE"))
    name = partition_table(table, partition)
    pending = conn.execute(
        sa.text("SELECT inhdetachpending FROM pg_inherits WHERE inhrelid = to_regclass(:name)"), {"name": name}
    ).scalar_one_or_none()
    if pending is None:
        return
    mode = "FINALIZE" if pending else "CONCURRENTLY"
    conn.execute(sa.text(f"ALTER TABLE {table.name} DETACH PARTITION {name} {mode}"))


def detach_day(conn: sa.Connection, partition: date) -> None:
    """Detach a day's partition of every partitioned table (:func:`detach`, table by table)."""
    for table in tables.PARTITIONED_TABLES:
        detach(conn, table, partition)


def _pending_detach(conn: sa.Connection, table: sa.Table) -> list[date]:
    """The days whose partition of ``table`` a ``DETACH … CONCURRENTLY`` left pending."""
    rows = conn.execute(
        sa.text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = to_regclass(:parent) AND i.inhdetachpending"
        ),
        {"parent": table.name},
    )
    prefix = f"{table.name}_"
    return [
        datetime.strptime(row.relname.removeprefix(prefix), "%Y%m%d").date()
        for row in rows
        if row.relname.startswith(prefix)
    ]


def state_of(conn: sa.Connection, partition: date, *, for_update: bool = False) -> str | None:
    """The state of a day's partitions (CREATED, DETACHING, DETACHED, DROPPED); None if unknown.
    With ``for_update`` the day's row stays locked until commit."""
    statement = sa.select(ep.c.state).where(ep.c.partition == partition)
    if for_update:
        return conn.execute(statement.with_for_update()).scalar()
    return conn.execute(statement).scalar_one_or_none()


def set_state(conn: sa.Connection, partition: date, state: str, **at: datetime) -> None:
    """Set the state of a day's partitions, with the time columns given (``detached_at`` …)."""
    conn.execute(sa.update(ep).where(ep.c.partition == partition).values(state=state, **at))


def holds_live_work(conn: sa.Connection, partition: date) -> bool:
    """Whether a day holds anything alive: an instance not ended, an open job or task."""
    pi, job, task = tables.process_instance, tables.job, tables.task
    alive = sa.select(
        sa.exists().where(pi.c.partition == partition, pi.c.ended_at.is_(None))
        | sa.exists().where(
            job.c.partition == partition, job.c.state.in_([str(WorkState.CREATED), str(WorkState.LOCKED)])
        )
        | sa.exists().where(task.c.partition == partition, task.c.state == str(WorkState.CREATED))
    )
    return bool(conn.execute(alive).scalar())


def drop(conn: sa.Connection, partition: date, now: datetime) -> None:
    """Drop a detached day's tables and sequences, and mark it DROPPED."""
    for table in tables.PARTITIONED_TABLES:
        conn.execute(sa.text(f"DROP TABLE IF EXISTS {partition_table(table, partition)}"))
        conn.execute(sa.text(f"DROP SEQUENCE IF EXISTS {sequence_name(table, partition)}"))
    set_state(conn, partition, "DROPPED", dropped_at=now)
    forget(partition)


@contextmanager
def ddl_connection(db: Database) -> Iterator[DdlConnection]:
    """An autocommit connection of its own for DDL outside a transaction.

    Its session-level advisory locks are released before it goes back to the pool (it is
    dropped if that fails); a lost connection is UNAVAILABLE.
    """
    try:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            try:
                yield conn
            finally:
                _release(conn)
    except sa.exc.DBAPIError as exc:
        if is_connection_error(exc):
            raise unavailable() from exc
        raise


def _release(conn: sa.Connection) -> None:
    """Release the DDL locks before the connection goes back to the pool; drop it if that fails."""
    if conn.invalidated:
        return  # the session is gone, and its locks with it
    try:
        unlock(conn)
    except sa.exc.DBAPIError:
        conn.invalidate()


# --- rows outside partitions, purged by the same upkeep ------------------------------------------


def purge_messages(conn: sa.Connection, expired_before: datetime) -> None:
    """Delete the messages that expired before a point in time."""
    m = tables.message
    conn.execute(sa.delete(m).where(m.c.expires_at < expired_before))
