"""``GET /metrics``: Prometheus metrics of the API, the engine and the database.

- engine counters and the task latency histogram (``engine.metrics``), from every process of
  this host when ``PROMETHEUS_MULTIPROC_DIR`` is set (``baton up`` sets it);
- API request latency by route, method and status;
- gauges read from PostgreSQL when scraped (cached for a few seconds): due-but-unstarted engine
  tasks by type (the queue depth), open jobs by type, open incidents, running instances by
  process and state.

``/metrics`` needs an API key like every other endpoint when authentication is on.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator

from flask import Blueprint, Flask, Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import REGISTRY, Collector

from api.context import baton
from engine.queries.metrics import read_gauges

REQUEST_LATENCY = Histogram(
    "baton_api_request_seconds",
    "API request latency",
    ["route", "method", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 60.0),
)
CACHE_SECONDS = 5.0

blp = Blueprint("metrics", __name__)


@blp.route("/metrics")
def metrics() -> Response:
    """The Prometheus exposition of everything above."""
    text = generate_latest(_process_registry()) + generate_latest(_database_registry())
    return Response(text, mimetype=CONTENT_TYPE_LATEST)


def _process_registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        return registry
    return REGISTRY


class _DatabaseCollector(Collector):
    """Gauges read from PostgreSQL, cached briefly so that scrapes stay cheap."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cached: list[GaugeMetricFamily] = []
        self._at = float("-inf")

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with self._lock:
            if time.monotonic() - self._at > CACHE_SECONDS:
                self._cached = self._read()
                self._at = time.monotonic()
            yield from self._cached

    def _read(self) -> list[GaugeMetricFamily]:
        context = baton()
        now = context.db.clock.now()
        due = GaugeMetricFamily("baton_engine_tasks_due", "Engine tasks due but not yet run, by type", labels=["type"])
        jobs = GaugeMetricFamily(
            "baton_jobs_open", "Jobs waiting for or held by a worker, by type and state", labels=["type", "state"]
        )
        incidents = GaugeMetricFamily("baton_incidents_open", "Unresolved incidents")
        running = GaugeMetricFamily(
            "baton_process_instances_active",
            "Instances not yet ended, by process and state",
            labels=["process", "state"],
        )
        with context.db.engine.connect() as conn:
            gauges = read_gauges(conn, now)
        for type_, count in gauges.due_tasks:
            due.add_metric([type_], count)
        for kind, state, count in gauges.open_jobs:
            jobs.add_metric([kind, state], count)
        incidents.add_metric([], gauges.open_incidents)
        for process, state, count in gauges.active_instances:
            running.add_metric([process, state], count)
        return [due, jobs, incidents, running]


_database_collector = _DatabaseCollector()


def _database_registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(_database_collector)
    return registry


def instrument(app: Flask) -> None:
    """Time every request by its route."""

    @app.before_request
    def _start() -> None:
        g.request_started = time.perf_counter()

    @app.after_request
    def _observe(response: Response) -> Response:
        started = g.get("request_started")
        if started is not None:
            route = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
            REQUEST_LATENCY.labels(route, request.method, str(response.status_code)).observe(
                time.perf_counter() - started
            )
        return response
