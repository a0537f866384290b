"""Storage of the engine time: how far it is ahead of the wall clock (one ``engine_state`` row)."""

from __future__ import annotations

import sqlalchemy as sa

from engine.store import tables
from engine.store.db import Tx

state_t = tables.engine_state


def lock_offset_ms(tx: Tx) -> int:
    """The engine time's offset from the wall clock in milliseconds, locked until commit."""
    return tx.conn.execute(sa.select(state_t.c.time_offset_ms).where(state_t.c.id == 1).with_for_update()).scalar_one()


def set_offset_ms(tx: Tx, offset_ms: int) -> None:
    """Set the engine time's offset from the wall clock (the engine's clocks follow after commit)."""
    tx.conn.execute(sa.update(state_t).where(state_t.c.id == 1).values(time_offset_ms=offset_ms))
