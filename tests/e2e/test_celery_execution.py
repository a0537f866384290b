"""Real Celery workers advance real instances; job workers lock and complete over REST."""

from __future__ import annotations

import threading
import time

import pytest

from tests.conftest import conformance_xml
from tests.waiting import LOCK_TIMEOUT_MS, wait_for

pytestmark = pytest.mark.e2e


def run_job_workers(api, total_jobs: int, threads: int = 4, deadline: float = 120) -> list[int]:
    """Lock and complete jobs over REST from several threads until ``total_jobs`` were completed."""
    completed: list[int] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + deadline

    def work(name: str) -> None:
        while time.monotonic() < stop_at:
            with lock:
                if len(completed) >= total_jobs:
                    return
            jobs = api.call("POST", "/jobs/lock", {"workerId": name, "limit": 25, "timeout": 1000})["jobs"]
            for job in jobs:
                api.call("PATCH", f"/jobs/{job['partition']}/{job['id']}/complete", {"workerId": name})
                with lock:
                    completed.append(job["id"])

    workers = [threading.Thread(target=work, args=(f"job-worker-{i}",)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return completed


def test_200_parallel_instances_complete_with_job_workers_over_rest(stack):
    api = stack.api
    api.deploy(conformance_xml("gateway/parallel-service-tasks.bpmn"), "parallelServiceTasksTest")
    instances = [api.start("parallelServiceTasksTest") for _ in range(200)]
    completed = run_job_workers(api, total_jobs=400)
    assert len(completed) == 400 and len(set(completed)) == 400
    wait_for(
        lambda: api.call(
            "POST",
            "/process-instances/query?limit=1000",
            {"bpmnProcessId": "parallelServiceTasksTest", "state": "COMPLETED"},
        )["count"],
        lambda done: done == 200,
        timeout=60,
        interval=0.2,
        what="200 instances COMPLETED",
    )
    sample = instances[17]
    eis = api.call(
        "POST", "/element-instances/query", {"partition": sample["partition"], "processInstanceId": sample["id"]}
    )["results"]
    assert len(eis) == 8 and {e["state"] for e in eis} == {"COMPLETED"}


def test_a_failing_job_becomes_an_incident_and_finishes_after_resolve(stack):
    api = stack.api
    api.deploy(conformance_xml("task/service.bpmn"), "serviceTest")
    instance = api.start("serviceTest")
    for _ in range(3):
        jobs = api.call(
            "POST",
            "/jobs/lock",
            {
                "workerId": "w",
                "processInstanceId": instance["id"],
                "partition": instance["partition"],
                "timeout": LOCK_TIMEOUT_MS,
            },
        )["jobs"]
        api.call(
            "PATCH",
            f"/jobs/{jobs[0]['partition']}/{jobs[0]['id']}/complete",
            {"workerId": "w", "error": "down", "retryLimit": 2, "retryTimer": "PT0.2S"},
        )
    incidents = api.call(
        "POST", "/incidents/query", {"processInstanceId": instance["id"], "partition": instance["partition"]}
    )["results"]
    assert len(incidents) == 1
    api.call("PATCH", f"/incidents/{incidents[0]['partition']}/{incidents[0]['id']}/resolve", {"workerId": "op"})
    jobs = api.call(
        "POST",
        "/jobs/lock",
        {
            "workerId": "w",
            "processInstanceId": instance["id"],
            "partition": instance["partition"],
            "timeout": LOCK_TIMEOUT_MS,
        },
    )["jobs"]
    api.call("PATCH", f"/jobs/{jobs[0]['partition']}/{jobs[0]['id']}/complete", {"workerId": "w"})
    api.wait_state(instance, "COMPLETED")


def test_a_lost_broker_message_is_republished_by_the_beat_sweep(stack):
    """A START task whose message never reached Redis is found by beat's sweep and run."""
    from engine.store.db import open_database

    api = stack.api
    api.deploy(conformance_xml("task/task.bpmn"), "taskTest")
    from engine.commands import process_instances as pic

    db = open_database(stack.database_url, pool_size=1)  # no publisher: the message is never sent
    try:
        created = db.run(
            pic.create_process_instance,
            pic.CreateProcessInstance(bpmn_process_id="taskTest", worker_id="e2e"),
            _policy(),
        )
    finally:
        db.dispose()
    # The sweep republishes a task once its message is BATON_REDISPATCH_SECONDS (10 s) old: about
    # 11 s here, so a deadline of its own, a hang detector at 10 times that.
    api.wait_state({"partition": created.partition.isoformat(), "id": created.id}, "COMPLETED", timeout=120)


def _policy():
    from engine.variables import Keyring, Policy

    return Policy(Keyring.parse(""))
