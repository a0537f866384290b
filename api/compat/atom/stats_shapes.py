"""``GET /api/v1/processes/stats`` of the Atom facade: the native statistics in Atom's shape.

Counts come from ``engine.queries.statistics`` (instances by state, overall and per BPMN process
id, open incidents, open jobs and user tasks); states are folded into Atom's base statuses.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from api.compat.atom.terms import base_status, iso
from engine.queries.statistics import Statistics


def stats(statistics: Statistics, period: str, now: datetime) -> dict[str, Any]:
    """``GET /api/v1/processes/stats`` from the native statistics."""

    def by_status(states: dict[str, int]) -> Counter[str]:
        counts: Counter[str] = Counter({"ACTIVE": 0, "COMPLETED": 0, "CANCELLED": 0})
        for state, count in states.items():
            counts[base_status(state)] += count
        return counts

    overall = by_status(statistics.instances)
    total = sum(overall.values())
    ended = overall["COMPLETED"] + overall["CANCELLED"]
    breakdown = []
    for process in statistics.processes:
        counts = by_status(process.states)
        process_ended = counts["COMPLETED"] + counts["CANCELLED"]
        breakdown.append(
            {
                "process_id": process.bpmn_process_id,
                "instances": sum(counts.values()),
                "active_instances": counts["ACTIVE"],
                "completed_instances": counts["COMPLETED"],
                "cancelled_instances": counts["CANCELLED"],
                "success_rate": round(100.0 * counts["COMPLETED"] / process_ended, 2) if process_ended else None,
                "native_states": process.states,
            }
        )
    return {
        "period": period,
        "generated_at": iso(now),
        "overview": {
            "total_instances": total,
            "active_instances": overall["ACTIVE"],
            "completed_instances": overall["COMPLETED"],
            "cancelled_instances": overall["CANCELLED"],
            "success_rate_percent": round(100.0 * overall["COMPLETED"] / ended, 2) if ended else None,
            "completion_rate_percent": round(100.0 * ended / total, 2) if total else None,
        },
        "status_distribution": {
            name: {"count": count, "percentage": round(100.0 * count / total, 2) if total else 0.0}
            for name, count in overall.items()
        },
        "process_breakdown": breakdown,
        "error_analysis": {"open_incidents": statistics.incidents_open},
        "worker_statistics": {"open_jobs": statistics.jobs, "open_user_tasks": statistics.user_tasks_open},
        "processes_deployed": statistics.processes_deployed,
        "native_states": statistics.instances,
    }
