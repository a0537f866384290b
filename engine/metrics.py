"""Prometheus metrics of the engine, fed by the facts of committed transactions.

``observe`` is registered as a database observer by every process that runs commands (API
processes, Celery workers); counters therefore count committed work only. With
``PROMETHEUS_MULTIPROC_DIR`` set, the processes of one host share their values, so one
``/metrics`` shows them all (``baton up`` does this).
"""

from __future__ import annotations

from collections.abc import Sequence

from prometheus_client import Counter, Histogram

INSTANCES_STARTED = Counter("baton_process_instances_started_total", "Process instances started", ["process"])
INSTANCES_ENDED = Counter(
    "baton_process_instances_ended_total",
    "Process instances ended, by final state (COMPLETED, CANCELED, TERMINATED)",
    ["process", "state"],
)
INSTANCES_FAILED = Counter(
    "baton_process_instances_failed_total",
    "Incidents raised on process instances: the instance stops at the failing element until resolved",
    ["process"],
)
JOBS_LOCKED = Counter("baton_jobs_locked_total", "Jobs locked by workers", ["type"])
JOBS_COMPLETED = Counter("baton_jobs_completed_total", "Jobs completed", ["type"])
JOBS_FAILED = Counter("baton_jobs_failed_total", "Jobs failed by their worker (retried or incident)", ["type"])
TASKS_EXECUTED = Counter("baton_engine_tasks_executed_total", "Engine tasks executed", ["type"])
TASKS_FAILED = Counter("baton_engine_tasks_failed_total", "Engine tasks that raised", ["type"])
TASK_LATENCY = Histogram(
    "baton_engine_task_latency_seconds",
    "Time from an engine task becoming due to its execution",
    ["type"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
)


def observe(facts: Sequence[tuple[str, dict[str, str], float]]) -> None:
    """Turn the facts of one committed transaction into metric updates."""
    for name, labels, value in facts:
        if name == "instance_started":
            INSTANCES_STARTED.labels(labels["process"]).inc()
        elif name == "instance_ended":
            INSTANCES_ENDED.labels(labels["process"], labels["state"]).inc()
        elif name == "incident_created":
            INSTANCES_FAILED.labels(labels["process"]).inc()
        elif name == "job_locked":
            JOBS_LOCKED.labels(labels["type"]).inc()
        elif name == "job_completed":
            JOBS_COMPLETED.labels(labels["type"]).inc()
        elif name == "job_failed":
            JOBS_FAILED.labels(labels["type"]).inc()
        elif name == "task_executed":
            TASKS_EXECUTED.labels(labels["type"]).inc()
            TASK_LATENCY.labels(labels["type"]).observe(max(value, 0.0))
        elif name == "task_failed":
            TASKS_FAILED.labels(labels["type"]).inc()
