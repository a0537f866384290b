"""Statistics: instances by state and by process, open incidents, jobs and user tasks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from engine.store import tables


@dataclass(frozen=True)
class ProcessStatistics:
    """Instance counts of one BPMN process id."""

    bpmn_process_id: str
    states: dict[str, int]


@dataclass(frozen=True)
class Statistics:
    """Counts across the engine."""

    instances: dict[str, int]
    processes: list[ProcessStatistics]
    incidents_open: int
    jobs: dict[str, int]
    user_tasks_open: int
    processes_deployed: int = 0
    by_version: list[dict[str, object]] = field(default_factory=list)


def statistics(
    conn: sa.Connection,
    *,
    bpmn_process_id: str | None = None,
    started_after: datetime | None = None,
    started_before: datetime | None = None,
) -> Statistics:
    """Instance counts by state (overall and per process), open incidents, jobs by state, open user tasks."""
    pi, job, incident, user_task = (tables.process_instance, tables.job, tables.incident, tables.user_task)
    where = []
    if bpmn_process_id is not None:
        where.append(pi.c.bpmn_process_id == bpmn_process_id)
    if started_after is not None:
        where.append(pi.c.created_at >= started_after)
    if started_before is not None:
        where.append(pi.c.created_at < started_before)
    per_process: dict[str, dict[str, int]] = {}
    totals: dict[str, int] = {}
    for row in conn.execute(
        sa.select(pi.c.bpmn_process_id, pi.c.state, sa.func.count())
        .where(*where)
        .group_by(pi.c.bpmn_process_id, pi.c.state)
    ):
        per_process.setdefault(row[0], {})[row[1]] = row[2]
        totals[row[1]] = totals.get(row[1], 0) + row[2]
    jobs = {
        row[0]: row[1]
        for row in conn.execute(
            sa.select(job.c.state, sa.func.count()).where(job.c.state.in_(["CREATED", "LOCKED"])).group_by(job.c.state)
        )
    }
    incidents = conn.execute(
        sa.select(sa.func.count()).select_from(incident).where(incident.c.resolved_at.is_(None))
    ).scalar_one()
    user_tasks = conn.execute(
        sa.select(sa.func.count()).select_from(user_task).where(user_task.c.state == "STARTED")
    ).scalar_one()
    deployed = conn.execute(sa.select(sa.func.count()).select_from(tables.process)).scalar_one()
    return Statistics(
        instances=totals,
        processes=[ProcessStatistics(name, states) for name, states in sorted(per_process.items())],
        incidents_open=incidents,
        jobs=jobs,
        user_tasks_open=user_tasks,
        processes_deployed=deployed,
    )
