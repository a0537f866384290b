"""Scenarios 6 and 7: job locks that expire under a slow worker, and jobs that always fail."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.faults import models
from tests.faults.cluster import Cluster, size
from tests.invariants import assert_consistent

pytestmark = [pytest.mark.e2e, pytest.mark.faults]


def wait_jobs(baton: Cluster, count: int) -> None:
    baton.wait_until(
        f"{count} jobs open", lambda: baton.scalar("SELECT count(*) FROM job WHERE state = 'CREATED'") >= count, 30
    )


def snapshot(baton: Cluster) -> dict[str, list[tuple]]:
    """Everything a late completion could change."""
    return {
        table: [tuple(r) for r in baton.rows(f"SELECT * FROM {table} ORDER BY partition, id")]  # noqa: S608
        for table in ("process_instance", "element_instance", "job", "task", "variable", "incident", "event")
    }


def test_a_late_completion_after_the_lock_expired_and_moved_is_a_409_that_changes_nothing(baton: Cluster):
    """Scenario 6: A's lock expires, B locks and completes, A completes late (also at the very
    moment B does): A always gets 409, the job is completed once, by B."""
    total = size(20, 200)
    api = baton.start_api(threads=32)
    baton.start_worker(concurrency=2)
    baton.start_beat()
    api.deploy(models.service("service"), "service")
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: api.start("service"), range(total)))
    wait_jobs(baton, total)

    a_jobs = api.call("POST", "/jobs/lock", {"workerId": "A", "limit": total, "lockDuration": 500})["jobs"]
    assert len(a_jobs) == total
    # A's locks expire (the engine time truncates to the millisecond, hence the 1 ms).
    baton.wait_until(
        "A's locks expired",
        lambda: (
            baton.scalar(
                "SELECT count(*) FROM job WHERE state = 'LOCKED' "
                "AND lock_expires_at > clock_timestamp() - interval '1 millisecond'"
            )
            == 0
        ),
        timeout=30,
        every=0.05,
    )
    b_jobs = api.call("POST", "/jobs/lock", {"workerId": "B", "limit": total, "lockDuration": 60000})["jobs"]
    assert {(j["partition"], j["id"]) for j in b_jobs} == {(j["partition"], j["id"]) for j in a_jobs}

    def complete(worker: str, job: dict) -> tuple[str, int, dict]:
        response = api.session.patch(
            f"{api.url}/jobs/{job['partition']}/{job['id']}/complete",
            json={
                "workerId": worker,
                "processVariables": [{"name": "by", "data": {"encoding": "json", "value": f'"{worker}"'}}],
            },
            timeout=60,
        )
        return worker, response.status_code, response.json()

    # Half of the jobs: B completes first, then A. The other half: both at the same moment.
    half = total // 2
    answers = [complete("B", job) for job in b_jobs[:half]]
    answers += [complete("A", job) for job in a_jobs[:half]]
    with ThreadPoolExecutor(16) as pool:
        answers += list(pool.map(lambda pair: complete(*pair), [(w, j) for j in b_jobs[half:] for w in ("A", "B")]))
    by_worker = {"A": [a for a in answers if a[0] == "A"], "B": [a for a in answers if a[0] == "B"]}
    assert {status for _, status, _ in by_worker["B"]} == {200}
    assert {status for _, status, _ in by_worker["A"]} == {409}
    assert all(body["type"] == "CONFLICT" for _, _, body in by_worker["A"])

    baton.wait_until("every instance completed", lambda: baton.count_instances("service", "COMPLETED") == total, 30)
    before = snapshot(baton)
    late = [complete("A", job) for job in a_jobs[:5]]
    assert {status for _, status, _ in late} == {409}
    assert snapshot(baton) == before, "a refused completion changed the database"
    done = baton.rows("SELECT locked_by, count(*) FROM job WHERE state = 'DONE' GROUP BY locked_by")
    values = baton.rows("SELECT value, count(*) FROM variable WHERE name = 'by' GROUP BY value")
    assert [tuple(r) for r in done] == [("B", total)]
    assert [tuple(r) for r in values] == [('"B"', total)]
    assert baton.scalar("SELECT count(*) FROM job") == total
    baton.wait_quiet()
    assert_consistent(baton.database_url)
    print(
        f"\nscenario 6: {total} jobs: A's locks expired, B took them over; {len(by_worker['A']) + len(late)} late "
        f"completions by A ({total - half} of them racing B's) all 409 CONFLICT; every job completed once, by B; "
        f"a refused completion changed no row"
    )


def test_a_job_that_always_fails_retries_three_times_then_one_incident_and_completes_after_resolve(
    baton: Cluster,
):
    """Scenario 7: retryLimit 3 means three retry jobs, then exactly one incident; resolving it
    opens a new job, which completes."""
    total = size(10, 100)
    api = baton.start_api(threads=32)
    baton.start_worker(concurrency=2)
    baton.start_beat()
    api.deploy(models.service("service"), "service")
    with ThreadPoolExecutor(8) as pool:
        instances = list(pool.map(lambda _: api.start("service"), range(total)))
    wait_jobs(baton, total)

    failures = 0

    def fail_lockable_jobs() -> bool:
        nonlocal failures
        jobs = api.call("POST", "/jobs/lock", {"workerId": "flaky", "limit": 100, "timeout": 500})["jobs"]
        for job in jobs:
            api.call(
                "PATCH",
                f"/jobs/{job['partition']}/{job['id']}/complete",
                {"workerId": "flaky", "error": "always fails", "retryLimit": 3, "retryTimer": "PT0.1S"},
            )
            failures += 1
        return baton.scalar("SELECT count(*) FROM incident WHERE resolved_at IS NULL") >= total

    # The bounds here only detect a hang (it takes 1-5 s; the figures are printed).
    failing = baton.wait_until("an incident for every instance", fail_lockable_jobs, timeout=120, every=0)
    # Nothing more to lock: the failed job is not retried a fourth time.
    assert api.call("POST", "/jobs/lock", {"workerId": "flaky", "limit": 100, "timeout": 500})["count"] == 0
    states = baton.rows(
        "SELECT process_instance_id, array_agg(state || ':' || retry_count ORDER BY id) FROM job GROUP BY 1"
    )
    expected = ["CAUSED_RETRY:0", "CAUSED_RETRY:1", "CAUSED_RETRY:2", "CAUSED_INCIDENT:3"]
    assert len(states) == total and all(list(jobs) == expected for _, jobs in states), states[:3]
    incidents = api.call("POST", "/incidents/query?limit=1000", {})["results"]
    assert len(incidents) == total and len({i["processInstanceId"] for i in incidents}) == total

    for incident in incidents:
        api.call("PATCH", f"/incidents/{incident['partition']}/{incident['id']}/resolve", {"workerId": "operator"})
    completed = 0

    def complete_lockable_jobs() -> bool:
        nonlocal completed
        jobs = api.call("POST", "/jobs/lock", {"workerId": "fixed", "limit": 100, "timeout": 500})["jobs"]
        for job in jobs:
            api.call("PATCH", f"/jobs/{job['partition']}/{job['id']}/complete", {"workerId": "fixed"})
            completed += 1
        return completed >= total

    baton.wait_until("every new job completed after resolve", complete_lockable_jobs, timeout=120, every=0)
    assert completed == total
    for instance in instances:
        assert api.instance(instance)["state"] == "COMPLETED"
    assert baton.scalar("SELECT count(*) FROM incident WHERE resolved_at IS NULL") == 0
    assert baton.scalar("SELECT count(*) FROM job WHERE state = 'DONE'") == total
    baton.wait_quiet()
    assert_consistent(baton.database_url)
    print(
        f"\nscenario 7: {total} jobs failed {failures} times in {failing:.1f}s: each retried exactly 3 times, then "
        f"one incident each ({len(incidents)}); after resolve all {total} completed"
    )
