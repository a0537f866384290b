"""Reading the event definitions of deployed start events (message, signal, timer).

Deploying writes them (``processes.insert_event_definitions``).
"""

from __future__ import annotations

from typing import Any, TypeAlias

import sqlalchemy as sa

from engine.store import tables
from engine.store.db import Tx

ed = tables.event_definition

# A row of the event_definition table (columns by name).
EventDefinitionRow: TypeAlias = sa.Row[Any]


def get(tx: Tx, element_id: int) -> EventDefinitionRow | None:
    """The event definition of a start event element."""
    return tx.conn.execute(sa.select(ed).where(ed.c.element_id == element_id)).one_or_none()
