"""Native capabilities the compatibility facades build on: wait, trace, statistics, restart."""

from __future__ import annotations

import threading
import time

from tests.api.routes.test_process_instances import complete, deploy, execute, instance_state, lock, start
from tests.waiting import DEADLINE


def test_wait_answers_when_the_instance_ends(client, long_poll_asleep):
    deploy(client)
    instance = start(client)
    path = f"/process-instances/{instance['partition']}/{instance['id']}/wait"
    began = time.monotonic()
    still = client.get(f"{path}?timeout=300").get_json()
    # It really waited (lower bound), and the 0.3 s wait ended (a hang detector, 100 times that).
    assert still["state"] == "STARTED" and 0.25 < time.monotonic() - began < 30

    def finish():
        assert long_poll_asleep.wait(DEADLINE)  # the wait below found the instance running
        [job] = lock(client, worker="w")
        complete(client, job, worker="w")

    long_poll_asleep.clear()
    finisher = threading.Thread(target=finish, daemon=True)
    finisher.start()
    # A wait that timed out would answer STARTED (after 60 s): COMPLETED means it answered the end.
    done = client.get(f"{path}?timeout=60000").get_json()
    assert done["state"] == "COMPLETED"
    finisher.join(DEADLINE)
    assert client.get(f"{path}?timeout=300001").status_code == 400
    assert client.get("/process-instances/2025-01-01/1/wait?timeout=10").status_code == 404


def test_the_trace_lists_every_state_change_in_order(client):
    deploy(client)
    instance = start(client)
    [job] = lock(client)
    complete(client, job)
    trace = client.get(f"/process-instances/{instance['partition']}/{instance['id']}/trace").get_json()
    assert [(e["bpmnElementId"], e["state"]) for e in trace["results"]][:4] == [
        ("serviceTest", "CREATED"),
        ("serviceTest", "STARTED"),
        ("startEvent", "CREATED"),
        ("startEvent", "COMPLETED"),
    ]
    assert trace["results"][-1] == {**trace["results"][-1], "bpmnElementId": "serviceTest", "state": "COMPLETED"}
    path = f"/process-instances/{instance['partition']}/{instance['id']}/trace"
    page = client.get(f"{path}?offset=2&limit=2").get_json()
    assert page["results"] == trace["results"][2:4]
    assert client.get(f"{path}?limit=-1").status_code == 400
    assert client.get("/process-instances/2025-01-01/1/trace").status_code == 404


def test_statistics_count_instances_incidents_jobs_and_user_tasks(client):
    deploy(client)
    done, running = start(client), start(client)
    [job, _] = lock(client)
    complete(client, job)
    stats = client.get("/statistics").get_json()
    assert stats["instances"] == {"COMPLETED": 1, "STARTED": 1}
    assert stats["processes"] == [{"bpmnProcessId": "serviceTest", "states": {"COMPLETED": 1, "STARTED": 1}}]
    assert stats["jobs"] == {"LOCKED": 1} and stats["incidentsOpen"] == 0 and stats["userTasksOpen"] == 0
    assert client.get("/statistics?bpmnProcessId=other").get_json()["instances"] == {}
    assert done and running


def test_restart_from_an_element_cancels_active_tokens_and_starts_there(client):
    deploy(client, "gateway/parallel-service-tasks.bpmn", "parallelServiceTasksTest")
    instance = start(client, "parallelServiceTasksTest")
    path = f"/process-instances/{instance['partition']}/{instance['id']}"
    restarted = client.post(f"{path}/restart", json={"workerId": "op", "bpmnElementId": "serviceTaskB"})
    assert restarted.status_code == 200 and restarted.get_json()["state"] == "STARTED"
    execute(client, instance)
    jobs = client.post("/jobs/query", json={"processInstanceId": instance["id"]}).get_json()["results"]
    states = sorted((j["bpmnElementId"], j["state"]) for j in jobs)
    assert states == [("serviceTaskA", "CANCELED"), ("serviceTaskB", "CANCELED"), ("serviceTaskB", "CREATED")]


def test_restart_reopens_an_ended_instance(client):
    deploy(client)
    instance = start(client)
    [job] = lock(client)
    complete(client, job)
    assert instance_state(client, instance) == "COMPLETED"
    path = f"/process-instances/{instance['partition']}/{instance['id']}"
    reopened = client.post(f"{path}/restart", json={"workerId": "op", "bpmnElementId": "serviceTask"}).get_json()
    assert reopened["state"] == "STARTED" and "endedAt" not in reopened
    [again] = lock(client)
    complete(client, again)
    assert instance_state(client, instance) == "COMPLETED"


def test_restart_needs_a_real_element(client):
    deploy(client)
    instance = start(client)
    path = f"/process-instances/{instance['partition']}/{instance['id']}/restart"
    bad = client.post(path, json={"workerId": "op", "bpmnElementId": "nope"})
    assert bad.status_code == 400 and bad.get_json()["errors"][0]["pointer"] == "#/bpmnElementId"
    assert client.post(path, json={"workerId": "op"}).status_code == 400
