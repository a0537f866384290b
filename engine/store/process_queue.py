"""Storage of the parallelism counters: one ``process_queue`` row per limited BPMN process id.

The rules (who starts, who waits) are ``commands.queue``; this module only reads and writes
the counters.
"""

from __future__ import annotations

from typing import Any, TypeAlias

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from engine.store import tables
from engine.store.db import Tx

q = tables.process_queue

# A process_queue row: ``bpmn_process_id``, ``active_count``, ``queued_count``.
QueueRow: TypeAlias = sa.Row[Any]


def create(tx: Tx, bpmn_process_id: str, active_count: int) -> None:
    """Add the counters of a BPMN process id, unless they exist."""
    tx.conn.execute(
        postgresql.insert(q)
        .values(bpmn_process_id=bpmn_process_id, active_count=active_count, queued_count=0)
        .on_conflict_do_nothing()
    )


def lock(tx: Tx, bpmn_process_id: str) -> QueueRow | None:
    """The counters of a BPMN process id, locked; None while it has never been limited."""
    return tx.conn.execute(sa.select(q).where(q.c.bpmn_process_id == bpmn_process_id).with_for_update()).one_or_none()


def add_queued(tx: Tx, bpmn_process_id: str) -> None:
    """One more instance waits."""
    tx.conn.execute(
        sa.update(q).where(q.c.bpmn_process_id == bpmn_process_id).values(queued_count=q.c.queued_count + 1)
    )


def add_active(tx: Tx, bpmn_process_id: str) -> None:
    """One more instance runs."""
    tx.conn.execute(
        sa.update(q).where(q.c.bpmn_process_id == bpmn_process_id).values(active_count=q.c.active_count + 1)
    )


def set_counts(tx: Tx, bpmn_process_id: str, active_count: int, queued_count: int) -> None:
    """Set both counters."""
    tx.conn.execute(
        sa.update(q)
        .where(q.c.bpmn_process_id == bpmn_process_id)
        .values(active_count=active_count, queued_count=queued_count)
    )


def delete(tx: Tx, bpmn_process_id: str) -> None:
    """Drop the counters: the process id is unlimited again."""
    tx.conn.execute(sa.delete(q).where(q.c.bpmn_process_id == bpmn_process_id))
