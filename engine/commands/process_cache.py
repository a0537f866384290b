"""The cache of parsed process graphs, kept by every API and worker process.

Deployed processes never change (a new model is a new version with a new id), so a cached
graph can never be stale and nothing needs to invalidate it across processes. Dropping it only
frees memory in the process that is asked; the next use parses the stored XML again.
"""

from __future__ import annotations

from engine.errors import not_found
from engine.store import processes
from engine.store.processes import Connection


def forget_cached_processes(conn: Connection, bpmn_process_id: str | None = None) -> int:
    """Drop the cached graphs of every version of ``bpmn_process_id`` (all processes when None)
    from this process's cache; returns how many were cached. An unknown process is NOT_FOUND."""
    if bpmn_process_id is None:
        return processes.forget()
    found = processes.ids_of(conn, bpmn_process_id)
    if not found:
        raise not_found("failed to forget cached process", f"process {bpmn_process_id} could not be found")
    return sum(processes.forget(process_id) for process_id in found)
