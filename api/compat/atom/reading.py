"""What the Atom facade reads: snapshots of one instance, a page of instances, statistics, and
the snapshot a cancel leaves, each through one engine query or command (one transaction or one
connection per request)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from api.compat.atom.terms import ACTIVE_TOKEN_STATES, instance_key, parse_instance_key
from api.context import baton
from engine.commands.snapshots import cancel_and_read
from engine.errors import not_found
from engine.queries.paging import Page
from engine.queries.snapshots import InstancePage, Snapshot, read_instance_page, read_snapshot
from engine.queries.statistics import Statistics, statistics


def snapshot(instance_id: str, *, details: bool = False, events: bool = False) -> Snapshot:
    """The instance an Atom id names, read in one transaction (404 when there is none); with
    ``details`` its process name, jobs, incidents and children, with ``events`` its trace."""
    context = baton()
    day, id = parse_instance_key(instance_id)
    found = context.run(read_snapshot, day, id, context.policy, details=details, with_trace=events)
    if found is None:
        raise not_found(
            "failed to find process instance", f"process instance {instance_key(day, id)} could not be found"
        )
    return found


def instance_page(
    states: tuple[str, ...], sort_by: str, descending: bool, page: Page, criteria: dict[str, Any]
) -> InstancePage:
    """A page of instances with the total that match, their variables and current activities."""
    context = baton()
    return context.run(
        read_instance_page,
        states=states,
        sort_by=sort_by,
        descending=descending,
        page=page,
        criteria=criteria,
        policy=context.policy,
        active_states=ACTIVE_TOKEN_STATES,
    )


def counts(bpmn_process_id: str | None, started_after: datetime | None) -> Statistics:
    """The native statistics of one process (or all), of instances started after a moment."""
    with baton().db.engine.connect() as conn:
        return statistics(conn, bpmn_process_id=bpmn_process_id, started_after=started_after)


def cancel(day: date, id: int, worker: str, reason: str | None) -> Snapshot:
    """Cancel an instance and read the snapshot its cancel left, in one transaction."""
    context = baton()
    return context.run(cancel_and_read, day, id, worker, reason, context.policy, worker_id=worker)
