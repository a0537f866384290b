"""Scenario 5: wide parallel joins whose branches are completed at the same moment from many
threads. Arrivals are serialized by the instance lock (DESIGN §3): each join fires exactly once."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.faults import models
from tests.faults.cluster import Cluster, size
from tests.invariants import assert_consistent, instances_deviating

pytestmark = [pytest.mark.e2e, pytest.mark.faults]

WIDTH = 10
THREADS = 20


def test_ten_branch_joins_completed_from_twenty_threads_fire_exactly_once(baton: Cluster):
    total = size(30, 200)
    api = baton.start_api(threads=32)
    baton.start_worker(concurrency=2)
    baton.start_beat()
    api.deploy(models.fan_in("fanIn", WIDTH), "fanIn")
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: api.start("fanIn"), range(total)))
    jobs_total = total * WIDTH
    completed: list[tuple[str, int]] = []
    lock = threading.Lock()
    deadline = time.monotonic() + size(80, 600)

    def work(worker: str) -> None:
        while time.monotonic() < deadline:
            with lock:
                if len(completed) >= jobs_total:
                    return
            jobs = api.call("POST", "/jobs/lock", {"workerId": worker, "limit": 5, "timeout": 500})["jobs"]
            for job in jobs:
                api.call("PATCH", f"/jobs/{job['partition']}/{job['id']}/complete", {"workerId": worker})
                with lock:
                    completed.append((job["partition"], job["id"]))

    started = time.monotonic()
    threads = [threading.Thread(target=work, args=(f"worker-{i}",)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    completing = time.monotonic() - started
    assert len(completed) == jobs_total and len(set(completed)) == jobs_total
    hang = baton.wait_until(
        "every join fired and every instance completed",
        lambda: baton.count_instances("fanIn", "COMPLETED") == total,
        timeout=60,
    )
    expected = {"start": 1, "fork": 1, "join": WIDTH, "end": 1, **{f"task{i}": 1 for i in range(WIDTH)}}
    with baton.engine.connect() as conn:
        assert instances_deviating(conn, "fanIn", expected) == []
    baton.wait_quiet()
    assert_consistent(baton.database_url)
    joins = baton.scalar("SELECT count(*) FROM element_instance WHERE bpmn_element_id = 'end'")
    print(
        f"\nscenario 5: {total} instances x {WIDTH} branches: {jobs_total} jobs completed from {THREADS} threads in "
        f"{completing:.1f}s ({jobs_total / completing:.0f}/s); last join fired {hang:.1f}s after the last completion; "
        f"{joins} joins fired for {total} instances, none twice, none hanging"
    )
