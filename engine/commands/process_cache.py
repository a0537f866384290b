"""The cache of parsed process graphs, kept by every API and worker process.

Deployed processes never change (a new model is a new version with a new id), so a cached
graph can never be stale and nothing needs to invalidate it across processes. Dropping it only
frees memory in the process that is asked; the next use parses the stored XML again.
"""

from __future__ import annotations

import sqlalchemy as sa

from engine.errors import not_found
from engine.store import processes, tables


def forget_cached_processes(conn: sa.Connection, bpmn_process_id: str | None = None) -> int:
    """Drop the cached graphs of every version of ``bpmn_process_id`` (all processes when None)
    from this process's cache; returns how many were cached. An unknown process is NOT_FOUND."""
    if bpmn_process_id is None:
        return processes.forget()
    ids = conn.execute(
        sa.select(tables.process.c.id).where(tables.process.c.bpmn_process_id == bpmn_process_id)
    ).scalars()
    found = list(ids)
    if not found:
        raise not_found("failed to forget cached process", f"process {bpmn_process_id} could not be found")
    return sum(processes.forget(process_id) for process_id in found)
