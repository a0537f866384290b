"""The gauges ``GET /metrics`` reads from PostgreSQL when scraped: due engine tasks, open jobs,
open incidents and instances not yet ended, each counted by the database in one statement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from engine.store import tables

_task, _job, _incident, _pi = tables.task, tables.job, tables.incident, tables.process_instance
_job_kind = sa.func.coalesce(_job.c.job_type, _job.c.type)
_OPEN_JOBS = (
    sa.select(_job_kind, _job.c.state, sa.func.count())
    .where(_job.c.state.in_(["CREATED", "LOCKED"]))
    .group_by(_job_kind, _job.c.state)
)
_OPEN_INCIDENTS = sa.select(sa.func.count()).select_from(_incident).where(_incident.c.resolved_at.is_(None))
_ACTIVE_INSTANCES = (
    sa.select(_pi.c.bpmn_process_id, _pi.c.state, sa.func.count())
    .where(_pi.c.ended_at.is_(None))
    .group_by(_pi.c.bpmn_process_id, _pi.c.state)
)


@dataclass(frozen=True)
class Gauges:
    """Counts of what is waiting or running now."""

    due_tasks: list[tuple[str, int]]  # (engine task type, count) of CREATED tasks due by now
    open_jobs: list[tuple[str, str, int]]  # (job type, state, count) of CREATED and LOCKED jobs
    open_incidents: int  # unresolved incidents
    active_instances: list[tuple[str, str, int]]  # (BPMN process id, state, count) of instances not ended


def read_gauges(conn: sa.Connection, now: datetime) -> Gauges:
    """The gauges as of ``now`` (engine time), in four statements on one connection."""
    due = conn.execute(
        sa.select(_task.c.type, sa.func.count())
        .where(_task.c.state == "CREATED", _task.c.due_at <= now)
        .group_by(_task.c.type)
    )
    due_tasks = [(row[0], row[1]) for row in due]
    open_jobs = [(row[0], row[1], row[2]) for row in conn.execute(_OPEN_JOBS)]
    open_incidents = conn.execute(_OPEN_INCIDENTS).scalar_one()
    active = [(row[0], row[1], row[2]) for row in conn.execute(_ACTIVE_INSTANCES)]
    return Gauges(due_tasks, open_jobs, open_incidents, active)
