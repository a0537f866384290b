"""Storage of element instances outside a step: reading one, and the few updates made beside it.

A step loads and writes its own element instances (``steps.begin``, ``flush.flush_step``).
"""

from __future__ import annotations

from datetime import date
from typing import Any, TypeAlias

import sqlalchemy as sa

from engine.states import InstanceState
from engine.store import tables
from engine.store.db import Tx

ei_t = tables.element_instance

# A row of the element_instance table (columns by name); callers read it, never build it.
ElementInstanceRow: TypeAlias = sa.Row[Any]


def get(tx: Tx, partition: date, id: int | None) -> ElementInstanceRow | None:
    """An element instance by id."""
    return tx.conn.execute(sa.select(ei_t).where(ei_t.c.partition == partition, ei_t.c.id == id)).one_or_none()


def set_open_scope_state(tx: Tx, partition: date, instance_id: int, state: InstanceState) -> None:
    """Set the state of an instance's open process scope (its element instance without parent)."""
    tx.conn.execute(
        sa.update(ei_t)
        .where(
            ei_t.c.partition == partition,
            ei_t.c.process_instance_id == instance_id,
            ei_t.c.parent_id.is_(None),
            ei_t.c.ended_at.is_(None),
        )
        .values(state=str(state))
    )


def link_child(tx: Tx, partition: date, id: int, child_id: int) -> None:
    """Record in a call activity's context (``child``) the child instance it started."""
    tx.conn.execute(
        sa.update(ei_t)
        .where(ei_t.c.partition == partition, ei_t.c.id == id)
        .values(
            context=sa.func.coalesce(ei_t.c.context, sa.text("'{}'::jsonb")).op("||")(
                sa.func.jsonb_build_object("child", child_id)
            )
        )
    )
