"""Scenario 10: ``pg_terminate_backend`` on every engine connection, again and again, under load.

Clients may see ``503`` problems (the engine could not reach PostgreSQL) and succeed when they
retry; they must never see a 500. Afterwards every instance finishes and the invariant checker
finds nothing.
"""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest

from tests.faults import models
from tests.faults.cluster import Cluster, size
from tests.faults.load import Load
from tests.invariants import assert_consistent

pytestmark = [pytest.mark.e2e, pytest.mark.faults]


def test_terminated_database_connections_give_503s_that_succeed_on_retry(baton: Cluster):
    rounds = size(10, 60)
    api = baton.start_api(threads=32)
    baton.start_worker(concurrency=2)
    baton.start_beat()
    baton.wait_worker_ready()
    api.deploy(models.service("service"), "service")

    load = Load(api, "service", rate=10, threads=4)
    job_answers: Counter[int] = Counter()
    completed: list[tuple[str, int]] = []
    lock = threading.Lock()

    def complete_jobs() -> None:
        status, body = load.request("lock", "POST", "/jobs/lock", {"workerId": "w", "limit": 10, "timeout": 200})
        with lock:
            job_answers[status] += 1
        if status != 200:
            return
        for job in body["jobs"]:
            status, _ = load.request(
                "complete", "PATCH", f"/jobs/{job['partition']}/{job['id']}/complete", {"workerId": "w"}
            )
            with lock:
                job_answers[status] += 1
            if status == 200:
                with lock:
                    completed.append((job["partition"], job["id"]))

    def query() -> None:
        load.request("query", "POST", "/process-instances/query?limit=10", {"bpmnProcessId": "service"})

    load.start()
    load.start(complete_jobs)
    load.start(query)

    # The scenario's timeline (not waits): a round of terminations every second, then 2 s of
    # load without faults before it stops.
    terminated = []
    for _ in range(rounds):
        time.sleep(1)
        terminated.append(baton.terminate_engine_connections())
    time.sleep(2)
    load.stop()
    created = len(load.created)

    # Finish the remaining jobs without faults, then everything must be consistent.
    def drain() -> bool:
        jobs = api.call("POST", "/jobs/lock", {"workerId": "w", "limit": 100})["jobs"]
        for job in jobs:
            api.call("PATCH", f"/jobs/{job['partition']}/{job['id']}/complete", {"workerId": "w"})
        return baton.count_instances("service", "COMPLETED") == created

    baton.wait_until("every instance completed", drain, timeout=60, every=0.5)
    baton.wait_quiet()
    statuses = load.statuses()
    by_kind: dict[str, Counter[int]] = {}
    for answer in load.answers:
        by_kind.setdefault(answer.what, Counter())[answer.status] += 1
    failures = [a for a in load.answers if a.status not in (0, 200, 201, 503)]
    problems_503 = [a for a in load.answers if a.status == 503]
    print(
        f"\nscenario 10: {rounds} rounds of pg_terminate_backend ({sum(terminated)} connections) under load; "
        f"{created} instances created, {len(completed)} jobs completed; answers by request: "
        f"{ {k: dict(v) for k, v in by_kind.items()} }"
    )
    assert not failures, (
        f"{len(failures)} answers other than success or 503: {[(a.what, a.status, a.body) for a in failures[:5]]}"
    )
    assert all(a.body and a.body.get("type") == "UNAVAILABLE" for a in problems_503), problems_503[:3]
    assert set(statuses) >= {201}
    assert_consistent(baton.database_url)
