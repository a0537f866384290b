"""Storage of signals: what a sent signal carries, and purging old ones."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from engine.store import tables
from engine.store.db import Tx

s = tables.signal


def variables_of(tx: Tx, signal_id: int) -> list[dict[str, Any]] | None:
    """The variables a signal carries (wire form); None if it has none or is gone."""
    return tx.conn.execute(sa.select(s.c.variables).where(s.c.id == signal_id)).scalar_one_or_none()


def purge(tx: Tx, sent_before: datetime) -> None:
    """Delete the signals sent before a point in time."""
    tx.conn.execute(sa.delete(s).where(s.c.created_at < sent_before))
