"""Partition upkeep: create the coming days, detach and drop days whose retention has passed.

Beat runs :func:`schedule_upkeep` hourly. It adds engine tasks, which workers run:

- ``CREATE_PARTITION`` for each of the next ``BATON_PARTITIONS_AHEAD`` days without a partition;
- ``DETACH_PARTITION`` for each day older than ``BATON_RETENTION_DAYS`` whose instances have all
  ended and which holds no open job or task. Detaching runs ``ALTER TABLE … DETACH PARTITION …
  CONCURRENTLY`` (outside a transaction, so live tables are never blocked for long), one at a
  time; a detach whose worker died is noticed by the next run (its advisory lock is free) and
  finished (``FINALIZE``) by the task that run adds;
- ``DROP_PARTITION`` once a day is detached: its tables and sequences are dropped;
- ``PURGE_MESSAGES`` (messages expired over an hour ago) and ``PURGE_SIGNALS`` (signals older
  than a day, whose deliveries are tasks of their own).
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

from engine.states import TaskKind, WorkState
from engine.store import engine_tasks as task_store
from engine.store import partitions, signals, steps
from engine.store.db import Database, Tx
from engine.store.partitions import DdlConnection

log = logging.getLogger(__name__)

# Engine tasks that run DDL outside a transaction (see run_ddl_task).
DDL_TASKS = frozenset({TaskKind.DETACH_PARTITION})
MESSAGE_GRACE = timedelta(hours=1)
SIGNAL_RETENTION = timedelta(days=1)
# A DDL task that finds another one running is run again this much later.
DDL_BUSY_DELAY = timedelta(seconds=5)
# A DDL task that failed is run again after this, doubled per failure up to DDL_RETRY_MAX.
DDL_RETRY_DELAY = timedelta(seconds=30)
DDL_RETRY_MAX = timedelta(minutes=30)


def ensure_ahead(tx: Tx, days_ahead: int) -> list[str]:
    """Create the partitions of today and the next ``days_ahead`` days now (start-up)."""
    days = [tx.today + timedelta(days=offset) for offset in range(days_ahead + 1)]
    return [day.isoformat() for day in partitions.create_range(tx.conn, days, tx.now)]


def schedule_upkeep(tx: Tx, days_ahead: int, retention_days: int = 90) -> int:
    """Add the upkeep tasks that are due now; returns how many were added."""
    partitions.ensure(tx.conn, tx.today, tx.now)
    _cancel_abandoned(tx)  # first, so that what they were doing counts as pending again
    pending = _pending(tx)
    known = dict(partitions.existing(tx.conn))
    rows: list[dict[str, Any]] = []

    def add(kind: TaskKind, payload: dict[str, Any] | None = None) -> None:
        key = (str(kind), (payload or {}).get("partition"))
        if key not in pending:
            rows.append({"partition": tx.today, "type": str(kind), "serialized_task": payload, "due_at": tx.now})
            pending.add(key)

    for offset in range(1, days_ahead + 1):
        day = tx.today + timedelta(days=offset)
        if day not in known:
            add(TaskKind.CREATE_PARTITION, {"partition": day.isoformat()})
    cutoff = tx.today - timedelta(days=retention_days)
    for day, state in known.items():
        if state == "DETACHING" or (state == "CREATED" and day < cutoff and _finished(tx, day)):
            add(TaskKind.DETACH_PARTITION, {"partition": day.isoformat()})
        elif state == "DETACHED":
            add(TaskKind.DROP_PARTITION, {"partition": day.isoformat()})
    add(TaskKind.PURGE_MESSAGES)
    add(TaskKind.PURGE_SIGNALS)
    steps.insert_tasks(tx, rows)
    return len(rows)


def _cancel_abandoned(tx: Tx) -> None:
    """Cancel the LOCKED DDL tasks whose worker is gone: no session holds their advisory lock.

    A worker takes that lock before it marks the task LOCKED and keeps it until the task is DONE
    or back to CREATED, so a LOCKED task with a free lock died with its worker (or connection).
    """
    locked = task_store.locked_of_types(tx, [str(k) for k in DDL_TASKS])
    if not locked:
        return
    running = partitions.tasks_running(tx.conn)
    gone = [key for key in locked if key not in running]
    if gone:
        task_store.cancel_locked(tx, gone, "abandoned by its worker")


def _pending(tx: Tx) -> set[tuple[str, str | None]]:
    kinds = [
        str(k)
        for k in (
            TaskKind.CREATE_PARTITION,
            TaskKind.DETACH_PARTITION,
            TaskKind.DROP_PARTITION,
            TaskKind.PURGE_MESSAGES,
            TaskKind.PURGE_SIGNALS,
        )
    ]
    return {
        (type, (serialized_task or {}).get("partition"))
        for type, serialized_task in task_store.pending_of_types(tx, kinds)
    }


def _finished(tx: Tx, day: date) -> bool:
    """Whether a day holds nothing alive: every instance ended, no open job or task."""
    return not partitions.holds_live_work(tx.conn, day)


# --- handlers (in the table of engine.commands.engine_tasks.handlers) ---------------------------


def create_partition(tx: Tx, task: Any, instance: Any, ctx: Any) -> WorkState:
    """``CREATE_PARTITION``."""
    partitions.create(tx.conn, date.fromisoformat(task.serialized_task["partition"]), tx.now)
    return WorkState.DONE


def drop_partition(tx: Tx, task: Any, instance: Any, ctx: Any) -> WorkState:
    """``DROP_PARTITION``: drop a detached day's tables and sequences."""
    day = date.fromisoformat(task.serialized_task["partition"])
    if partitions.state_of(tx.conn, day) != "DETACHED":
        return WorkState.CANCELED
    partitions.drop(tx.conn, day, tx.now)
    return WorkState.DONE


def purge_messages(tx: Tx, task: Any, instance: Any, ctx: Any) -> WorkState:
    """``PURGE_MESSAGES``: delete messages that expired over an hour ago."""
    partitions.purge_messages(tx.conn, tx.now - MESSAGE_GRACE)
    return WorkState.DONE


def purge_signals(tx: Tx, task: Any, instance: Any, ctx: Any) -> WorkState:
    """``PURGE_SIGNALS``: delete signals sent over a day ago (their deliveries are tasks)."""
    signals.purge(tx, tx.now - SIGNAL_RETENTION)
    return WorkState.DONE


def run_ddl_task(db: Database, partition: date, id: int, engine_id: str) -> bool:
    """Run a ``DETACH_PARTITION`` task: claim it, detach each table concurrently (no transaction),
    mark the day DETACHED and schedule its drop. Returns whether it ran.

    One DDL task runs at a time (a session-level advisory lock on the DDL connection); a task that
    finds another running is put back for :data:`DDL_BUSY_DELAY`. While it runs, it holds a lock
    keyed on itself, by which :func:`schedule_upkeep` tells a live task from an abandoned one. A
    failed DDL puts the task back with its error and a growing delay; the day stays DETACHING.
    """
    with partitions.ddl_connection(db) as conn:
        return _run_ddl_task(db, conn, partition, id, engine_id)


def _run_ddl_task(db: Database, conn: DdlConnection, partition: date, id: int, engine_id: str) -> bool:
    # A message delivered again for a task that is already LOCKED (its worker died) or ended takes
    # no lock at all: holding the task's lock even briefly would make an upkeep run that looks at
    # that moment take the abandoned task for a live one, and leave its day DETACHING.
    if not db.run(_is_due, partition, id, worker_id=engine_id):
        return False
    if not partitions.lock_detach(conn):
        db.run(_put_back, partition, id, DDL_BUSY_DELAY, worker_id=engine_id)
        return False
    if not partitions.lock_task(conn, partition, id):  # cannot happen while we hold the lock above
        return False
    day = db.run(_claim, partition, id, engine_id, worker_id=engine_id)
    if day is None:
        return False
    partitions.forget(day)
    try:
        partitions.detach_day(conn, day)
    except Exception as exc:  # any failure: the task is retried, never left LOCKED
        error = f"{exc.__class__.__name__}: {exc}".strip()
        log.warning("detaching partition %s failed, retried later: %s", day, error)
        db.run(_retry_later, partition, id, error, worker_id=engine_id)
        return False
    db.run(_done, partition, id, day, worker_id=engine_id)
    return True


def _is_due(tx: Tx, partition: date, id: int) -> bool:
    return task_store.is_due(tx, partition, id)


def _claim(tx: Tx, partition: date, id: int, engine_id: str) -> date | None:
    """Mark a due DETACH task LOCKED and its day DETACHING; the day, or None if nothing to do."""
    row = task_store.lock_due(tx, partition, id)
    if row is None:
        return None
    day = date.fromisoformat(row.serialized_task["partition"])
    state = partitions.state_of(tx.conn, day, for_update=True)
    if state not in ("CREATED", "DETACHING") or (state == "CREATED" and not _finished(tx, day)):
        task_store.set_done(tx, partition, id, WorkState.CANCELED)
        return None
    partitions.set_state(tx.conn, day, "DETACHING")
    task_store.set_locked(tx, partition, id, engine_id)
    return day


def _done(tx: Tx, partition: date, id: int, day: date) -> None:
    partitions.set_state(tx.conn, day, "DETACHED", detached_at=tx.now)
    task_store.set_done(tx, partition, id, WorkState.DONE)
    steps.insert_tasks(
        tx,
        [
            {
                "partition": tx.today,
                "type": str(TaskKind.DROP_PARTITION),
                "serialized_task": {"partition": day.isoformat()},
                "due_at": tx.now,
            }
        ],
    )


def _put_back(tx: Tx, partition: date, id: int, delay: timedelta) -> None:
    """Make a due CREATED task due ``delay`` from now (the sweep publishes it then)."""
    task_store.postpone_due(tx, partition, id, tx.now + delay)


def _retry_later(tx: Tx, partition: date, id: int, error: str) -> None:
    """Return a LOCKED DDL task to CREATED with its error, due after a back-off."""
    retries = task_store.retry_count(tx, partition, id)
    delay = min(DDL_RETRY_DELAY * 2 ** min(retries, 16), DDL_RETRY_MAX)
    task_store.retry_locked(tx, partition, id, due_at=tx.now + delay, retry_count=retries + 1, error=error)
