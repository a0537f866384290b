"""The native API for instances, jobs, incidents, variables, tasks and time (test client, real DB)."""

from __future__ import annotations

import json
import threading
import time

import pytest

from tests.conftest import conformance_xml
from tests.waiting import DEADLINE


def deploy(client, model="task/service.bpmn", process_id="serviceTest"):
    response = client.post(
        "/processes",
        json={"bpmnProcessId": process_id, "bpmnXml": conformance_xml(model), "version": "1", "workerId": "tests"},
    )
    assert response.status_code in (200, 201), response.get_json()
    return response.get_json()


def start(client, process_id="serviceTest", **extra):
    response = client.post(
        "/process-instances", json={"bpmnProcessId": process_id, "version": "1", "workerId": "tests", **extra}
    )
    assert response.status_code == 201, response.get_json()
    instance = response.get_json()
    execute(client, instance)
    return instance


def execute(client, instance=None):
    criteria = {"partition": instance["partition"], "processInstanceId": instance["id"]} if instance else {}
    while True:
        result = client.post("/tasks/execute", json={**criteria, "limit": 100}).get_json()
        if result["locked"] == 0:
            return


def lock(client, worker="w1", **criteria):
    response = client.post("/jobs/lock", json={"workerId": worker, "limit": 10, **criteria})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["jobs"]


def complete(client, job, worker="w1", **body):
    return client.patch(f"/jobs/{job['partition']}/{job['id']}/complete", json={"workerId": worker, **body})


def instance_state(client, instance):
    results = client.post(
        "/process-instances/query", json={"partition": instance["partition"], "id": instance["id"]}
    ).get_json()["results"]
    return results[0]["state"]


def json_var(value):
    return {"encoding": "json", "value": json.dumps(value)}


def test_an_instance_is_created_then_started_by_its_task(client):
    deploy(client)
    response = client.post(
        "/process-instances",
        json={
            "bpmnProcessId": "serviceTest",
            "version": "1",
            "workerId": "tests",
            "correlationKey": "order-1",
            "tags": [{"name": "x", "value": "y"}],
            "variables": [{"name": "a", "data": json_var({"n": 1})}],
        },
    )
    assert response.status_code == 201
    instance = response.get_json()
    assert instance["state"] == "CREATED" and instance["correlationKey"] == "order-1"
    assert instance["tags"] == [{"name": "x", "value": "y"}]
    tasks = client.post("/tasks/query", json={"processInstanceId": instance["id"]}).get_json()["results"]
    assert [t["type"] for t in tasks] == ["START_PROCESS_INSTANCE"]
    execute(client, instance)
    assert instance_state(client, instance) == "STARTED"
    [job] = lock(client)
    assert job["bpmnElementId"] == "serviceTask" and job["state"] == "LOCKED" and job["correlationKey"] == "order-1"
    done = complete(client, job, processVariables=[{"name": "b", "data": {"encoding": "text", "value": "ok"}}])
    assert done.status_code == 200 and done.get_json()["state"] == "DONE"
    assert instance_state(client, instance) == "COMPLETED"
    variables = client.get(f"/process-instances/{instance['partition']}/{instance['id']}/variables").get_json()
    assert variables == {
        "count": 2,
        "variables": [
            {"name": "a", "data": {"encoding": "json", "value": '{"n": 1}'}},
            {"name": "b", "data": {"encoding": "text", "value": "ok"}},
        ],
    }


def test_latest_version_is_started_when_no_version_is_given(client):
    deploy(client)
    client.post(
        "/processes",
        json={
            "bpmnProcessId": "serviceTest",
            "version": "2",
            "workerId": "t",
            "bpmnXml": conformance_xml("task/task.bpmn").replace("taskTest", "serviceTest"),
        },
    )
    response = client.post("/process-instances", json={"bpmnProcessId": "serviceTest", "workerId": "t"})
    assert response.get_json()["version"] == "2"


def test_element_instances_query_filters_by_state(client):
    deploy(client)
    instance = start(client)
    query = {"partition": instance["partition"], "processInstanceId": instance["id"]}
    everything = client.post("/element-instances/query", json=query).get_json()
    assert [e["bpmnElementId"] for e in everything["results"]] == ["serviceTest", "startEvent", "serviceTask"]
    started = client.post("/element-instances/query", json={**query, "states": ["STARTED"]}).get_json()
    assert [e["bpmnElementId"] for e in started["results"]] == ["serviceTest", "serviceTask"]
    bad = client.post("/element-instances/query", json={**query, "states": ["RUNNING"]})
    assert bad.status_code == 400 and bad.get_json()["errors"][0]["pointer"] == "#/states/0"


def test_two_workers_never_hold_the_same_job(client):
    deploy(client)
    for _ in range(20):
        start(client)
    held: list[list[int]] = []

    def work(worker):
        ids = []
        for _ in range(5):
            ids += [j["id"] for j in lock(client, worker=worker, limit=3)]
        held.append(ids)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [job for ids in held for job in ids]
    assert len(everything) == 20 and len(set(everything)) == 20


def test_lock_long_polls_until_a_job_is_created(client, long_poll_asleep):
    deploy(client)
    result: dict[str, object] = {}

    def waiter():
        # The longest poll there is: what ends it must be the job, long before the timeout.
        response = client.post("/jobs/lock", json={"workerId": "w", "timeout": 60_000})
        result["jobs"] = response.get_json()["jobs"]

    thread = threading.Thread(target=waiter, daemon=True)
    thread.start()
    assert long_poll_asleep.wait(DEADLINE)  # it found no job and waits
    start(client)
    thread.join(DEADLINE)
    assert not thread.is_alive(), "the long poll did not answer when the job was created"
    assert len(result["jobs"]) == 1


def test_lock_returns_empty_after_the_timeout(client):
    began = time.monotonic()
    response = client.post("/jobs/lock", json={"workerId": "w", "timeout": 300})
    assert response.get_json() == {"count": 0, "jobs": []}
    # It really waited (lower bound), and the 0.3 s poll ended (a hang detector, 100 times that).
    assert 0.25 < time.monotonic() - began < 30


def test_lock_filters_by_model_job_type_and_element(client):
    xml = conformance_xml("task/service.bpmn").replace(
        '<serviceTask id="serviceTask">',
        '<serviceTask id="serviceTask" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
        'camunda:type="external" camunda:topic="payment">',
    )
    client.post("/processes", json={"bpmnProcessId": "serviceTest", "bpmnXml": xml, "version": "1", "workerId": "t"})
    start(client)
    assert lock(client, types=["shipping"]) == []
    assert lock(client, bpmnElementIds=["other"]) == []
    [job] = lock(client, types=["payment"])
    assert job["jobType"] == "payment" and job["type"] == "EXECUTE"


def test_only_the_worker_holding_the_lock_may_complete(client):
    deploy(client)
    instance = start(client)
    [job] = lock(client, worker="a", lockDuration=60_000)
    assert lock(client, worker="b") == []  # a holds it
    assert client.patch("/time", json={"timeDuration": "PT2M"}).status_code == 200  # a's lock expires
    [again] = lock(client, worker="b")
    assert again["id"] == job["id"] and again["lockedBy"] == "b"
    late = complete(client, job, worker="a")
    assert late.status_code == 409 and "not locked by worker a, but b" in late.get_json()["detail"]
    assert complete(client, job, worker="b").status_code == 200
    twice = complete(client, job, worker="b")
    assert twice.status_code == 409
    assert instance_state(client, instance) == "COMPLETED"


def test_a_failing_job_is_retried_then_becomes_an_incident_and_finishes_after_resolve(client):
    deploy(client)
    instance = start(client)
    for attempt in range(3):
        [job] = lock(client)
        assert job["retryCount"] == attempt
        failed = complete(client, job, error="boom", retryLimit=2, retryTimer="PT0S").get_json()
        assert failed["state"] == ("CAUSED_RETRY" if attempt < 2 else "CAUSED_INCIDENT")
        assert failed["error"] == "boom"
    assert lock(client) == []
    incidents = client.post("/incidents/query", json={"processInstanceId": instance["id"]}).get_json()["results"]
    assert len(incidents) == 1 and incidents[0]["error"] == "boom" and incidents[0]["bpmnElementId"] == "serviceTask"
    incident = incidents[0]
    resolved = client.patch(f"/incidents/{incident['partition']}/{incident['id']}/resolve", json={"workerId": "op"})
    assert resolved.status_code == 204
    again = client.patch(f"/incidents/{incident['partition']}/{incident['id']}/resolve", json={"workerId": "op"})
    assert again.status_code == 409
    [job] = lock(client)
    assert job["retryCount"] == 0
    complete(client, job)
    assert instance_state(client, instance) == "COMPLETED"


def test_resolving_an_incident_of_a_canceled_instance_closes_it_and_creates_no_work(client):
    deploy(client)
    instance = start(client)
    [job] = lock(client)
    assert complete(client, job, error="boom", retryLimit=0).get_json()["state"] == "CAUSED_INCIDENT"
    path = f"/process-instances/{instance['partition']}/{instance['id']}"
    assert client.patch(f"{path}/cancel", json={"workerId": "op"}).status_code == 200
    [incident] = client.post("/incidents/query", json={"processInstanceId": instance["id"]}).get_json()["results"]
    resolved = client.patch(f"/incidents/{incident['partition']}/{incident['id']}/resolve", json={"workerId": "op"})
    assert resolved.status_code == 204
    jobs = client.post("/jobs/query", json={"processInstanceId": instance["id"]}).get_json()["results"]
    assert [j["state"] for j in jobs] == ["CAUSED_INCIDENT"], jobs
    assert lock(client) == []
    assert instance_state(client, instance) == "CANCELED"


def test_model_retries_apply_when_the_completion_gives_no_retry_limit(client):
    xml = conformance_xml("task/service.bpmn").replace(
        '<serviceTask id="serviceTask">',
        '<serviceTask id="serviceTask"><extensionElements xmlns:zeebe="http://camunda.org/schema/zeebe/1.0">'
        '<zeebe:taskDefinition type="pay" retries="1" /></extensionElements>',
    )
    client.post("/processes", json={"bpmnProcessId": "serviceTest", "bpmnXml": xml, "version": "1", "workerId": "t"})
    start(client)
    [job] = lock(client)
    assert job["retries"] == 1
    assert complete(client, job, error="x").get_json()["state"] == "CAUSED_RETRY"
    [job] = lock(client)
    assert complete(client, job, error="x").get_json()["state"] == "CAUSED_INCIDENT"


def test_suspended_instances_give_no_jobs_until_resumed(client):
    deploy(client)
    instance = start(client)
    path = f"/process-instances/{instance['partition']}/{instance['id']}"
    assert client.patch(f"{path}/suspend", json={"workerId": "op"}).status_code == 204
    assert instance_state(client, instance) == "SUSPENDED"
    assert lock(client) == []
    assert client.patch(f"{path}/suspend", json={"workerId": "op"}).status_code == 409
    assert client.patch(f"{path}/resume", json={"workerId": "op"}).status_code == 204
    assert len(lock(client)) == 1


def test_a_job_completed_while_suspended_moves_on_only_after_resume(client):
    deploy(client)
    instance = start(client)
    path = f"/process-instances/{instance['partition']}/{instance['id']}"
    [job] = lock(client)
    client.patch(f"{path}/suspend", json={"workerId": "op"})
    assert complete(client, job).status_code == 200
    execute(client)
    assert instance_state(client, instance) == "SUSPENDED"
    client.patch(f"{path}/resume", json={"workerId": "op"})
    execute(client)
    assert instance_state(client, instance) == "COMPLETED"


def test_cancel_ends_the_instance_with_its_jobs_and_keeps_the_reason(client):
    deploy(client, "gateway/parallel-service-tasks.bpmn", "parallelServiceTasksTest")
    instance = start(client, "parallelServiceTasksTest")
    path = f"/process-instances/{instance['partition']}/{instance['id']}"
    response = client.patch(f"{path}/cancel", json={"workerId": "op", "reason": "customer withdrew"})
    assert response.status_code == 200
    canceled = response.get_json()
    assert canceled["state"] == "CANCELED" and canceled["endReason"] == "customer withdrew"
    jobs = client.post("/jobs/query", json={"processInstanceId": instance["id"]}).get_json()["results"]
    assert {j["state"] for j in jobs} == {"CANCELED"}
    assert lock(client) == []
    states = client.post(
        "/element-instances/query", json={"processInstanceId": instance["id"], "states": ["STARTED", "CREATED"]}
    ).get_json()
    assert states["count"] == 0
    assert client.patch(f"{path}/cancel", json={"workerId": "op"}).status_code == 409


def test_an_instance_created_without_start_starts_later(client):
    deploy(client)
    response = client.post("/process-instances", json={"bpmnProcessId": "serviceTest", "workerId": "t", "start": False})
    instance = response.get_json()
    execute(client)
    assert instance_state(client, instance) == "CREATED"
    path = f"/process-instances/{instance['partition']}/{instance['id']}"
    assert client.patch(f"{path}/start", json={"workerId": "t"}).status_code == 200
    execute(client)
    assert instance_state(client, instance) == "STARTED"
    assert client.patch(f"{path}/start", json={"workerId": "t"}).status_code == 409


def test_variables_encodings_encryption_and_deletion(client, db):
    import sqlalchemy as sa

    deploy(client)
    instance = start(client)
    path = f"/process-instances/{instance['partition']}/{instance['id']}/variables"
    secret = {"encoding": "text", "value": "card 4111", "encrypted": True}
    response = client.put(path, json={"workerId": "t", "variables": {"card": secret, "n": json_var(5)}})
    assert response.status_code == 204
    got = client.get(f"{path}?names=card").get_json()
    assert got["variables"] == [{"name": "card", "data": secret}]
    with db.engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT value, blob, key_id FROM variable WHERE name = 'card'")).one()
    assert stored.value is None and b"4111" not in bytes(stored.blob) and stored.key_id == "k1"
    client.put(path, json={"workerId": "t", "variables": [{"name": "card"}]})
    assert [v["name"] for v in client.get(path).get_json()["variables"]] == ["n"]
    meta = client.post("/variables/query", json={"processInstanceId": instance["id"]}).get_json()
    assert [(v["name"], v["encoding"]) for v in meta["results"]] == [("n", "json")]


def test_element_variables_see_their_scope_and_parents(client):
    deploy(client)
    start(client)
    [job] = lock(client)
    complete(
        client, job, elementVariables={"local": {"encoding": "text", "value": "x"}}, error="retry me", retryLimit=1
    )
    path = f"/element-instances/{job['partition']}/{job['elementInstanceId']}/variables"
    assert client.get(path).get_json()["variables"] == [{"name": "local", "data": {"encoding": "text", "value": "x"}}]
    assert client.put(path, json={"workerId": "t", "variables": {"more": json_var(1)}}).status_code == 204
    assert client.get(f"{path}?names=more").get_json()["count"] == 1


@pytest.mark.parametrize(
    ("variables", "pointer"),
    [
        ({",": json_var(1)}, "#/variables/,"),
        ({"a": {"value": "1"}}, "#/variables/a/encoding"),
        ({"a": {"encoding": "json"}}, "#/variables/a/value"),
        ([{"data": json_var(1)}], "#/variables/0/name"),
    ],
)
def test_bad_variables_are_400_with_pointers(client, variables, pointer):
    deploy(client)
    instance = start(client)
    path = f"/process-instances/{instance['partition']}/{instance['id']}/variables"
    response = client.put(path, json={"workerId": "t", "variables": variables})
    assert response.status_code == 400, response.get_json()
    assert pointer in [e["pointer"] for e in response.get_json()["errors"]]


def test_variable_limits_are_enforced(client, app):
    deploy(client)
    instance = start(client)
    path = f"/process-instances/{instance['partition']}/{instance['id']}/variables"
    too_many = {f"v{i}": json_var(i) for i in range(101)}
    assert client.put(path, json={"workerId": "t", "variables": too_many}).status_code == 400
    invalid_json = client.put(path, json={"workerId": "t", "variables": {"a": {"encoding": "json", "value": "{"}}})
    assert invalid_json.status_code == 400
    big = "x" * (3 * 1024 * 1024)
    assert (
        client.put(path, json={"workerId": "t", "variables": {"a": {"encoding": "text", "value": big}}}).status_code
        == 204
    )
    over = client.put(path, json={"workerId": "t", "variables": {"b": {"encoding": "text", "value": big}}})
    assert over.status_code == 413 and over.get_json()["type"] == "LIMIT"
    # replacing a value counts only the difference; deleting frees the space
    assert (
        client.put(
            path, json={"workerId": "t", "variables": {"a": None, "b": {"encoding": "text", "value": big}}}
        ).status_code
        == 204
    )
    stored = client.get(f"{path}?names=b").get_json()["variables"][0]["data"]["value"]
    assert stored == big  # compressed on disk, whole on the wire


def test_time_moves_forward_only(client):
    now = client.get("/time").get_json()["time"]
    moved = client.patch("/time", json={"timeDuration": "PT1H"})
    assert moved.status_code == 200 and moved.get_json()["time"] > now
    back = client.patch("/time", json={"time": "2000-01-01T00:00:00Z"})
    assert back.status_code == 409 and back.get_json()["type"] == "CONFLICT"
    assert client.patch("/time", json={"timeDuration": "PT"}).status_code == 400
    assert client.patch("/time", json={}).status_code == 400


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/process-instances", {"bpmnProcessId": "nope", "workerId": "t"}),
        ("patch", "/process-instances/2025-01-01/1/suspend", {"workerId": "t"}),
        ("patch", "/process-instances/2025-01-01/1/resume", {"workerId": "t"}),
        ("patch", "/process-instances/2025-01-01/1/cancel", {"workerId": "t"}),
        ("patch", "/jobs/2025-01-01/1/complete", {"workerId": "t"}),
        ("patch", "/incidents/2025-01-01/1/resolve", {"workerId": "t"}),
        ("get", "/process-instances/2025-01-01/1/variables", None),
        ("get", "/element-instances/2025-01-01/1/variables", None),
        ("put", "/element-instances/2025-01-01/1/variables", {"workerId": "t", "variables": {}}),
        ("patch", "/jobs/2025-01-01/99999999999/complete", {"workerId": "t"}),
    ],
)
def test_unknown_resources_are_404(client, method, path, body):
    response = getattr(client, method)(path, json=body) if body is not None else getattr(client, method)(path)
    assert response.status_code == 404, response.get_json()
    assert response.get_json()["type"] == "NOT_FOUND"


@pytest.mark.parametrize(
    ("method", "path", "body", "pointer"),
    [
        ("post", "/process-instances", {"workerId": "t"}, "#/bpmnProcessId"),
        ("post", "/process-instances/query", {"state": "RUNNING"}, "#/state"),
        ("post", "/process-instances/query", {"partition": "yesterday"}, "#/partition"),
        ("post", "/jobs/lock", {"workerId": "t", "limit": 0}, "#/limit"),
        ("post", "/jobs/lock", {"workerId": "t", "limit": 1001}, "#/limit"),
        ("post", "/jobs/lock", {"workerId": "t", "timeout": 60_001}, "#/timeout"),
        ("post", "/jobs/lock", {"limit": 1}, "#/workerId"),
        ("post", "/jobs/lock", {"workerId": "t", "processIds": [0]}, "#/processIds/0"),
        ("patch", "/jobs/2025-01-01/1/complete", {"workerId": "t", "retryLimit": -1}, "#/retryLimit"),
        ("patch", "/jobs/2025-01-01/1/complete", {"workerId": "t", "completion": {"x": 1}}, "#/completion/x"),
        ("post", "/jobs/unlock", {}, "#/workerId"),
        ("post", "/jobs/query", {"id": "one"}, "#/id"),
        ("post", "/tasks/execute", {"limit": 101}, "#/limit"),
        ("post", "/tasks/query", {"type": "NAP"}, "#/type"),
        ("post", "/tasks/unlock", {}, "#/engineId"),
        ("post", "/incidents/query", {"jobId": -5}, "#/jobId"),
        ("patch", "/incidents/2025-01-01/1/resolve", {}, "#/workerId"),
        ("post", "/variables/query", {"names": "a"}, "#/names"),
        ("patch", "/time", {"time": "soon"}, "#/time"),
        ("post", "/element-instances/query", {"states": ["X"]}, "#/states/0"),
        ("patch", "/process-instances/2025-01-01/1/suspend", {}, "#/workerId"),
        ("patch", "/process-instances/2025-01-01/1/cancel", {"workerId": "t", "reason": "r" * 5000}, "#/reason"),
        ("post", "/processes/query?limit=5000", {}, "#/query/limit"),
    ],
)
def test_bad_inputs_are_400_problems_with_pointers(client, method, path, body, pointer):
    response = getattr(client, method)(path, json=body)
    assert response.status_code == 400, response.get_json()
    assert response.mimetype == "application/problem+json"
    assert pointer in [e["pointer"] for e in response.get_json().get("errors", [])], response.get_json()


def test_bad_partition_in_the_path_is_400(client):
    response = client.patch("/jobs/someday/1/complete", json={"workerId": "t"})
    assert response.status_code == 400 and response.get_json()["errors"][0]["pointer"] == "#/partition"


def test_unlock_releases_what_a_worker_holds(client):
    deploy(client)
    start(client)
    start(client)
    assert len(lock(client, worker="a")) == 2
    assert client.post("/jobs/unlock", json={"workerId": "b"}).get_json() == {"count": 0}
    assert client.post("/jobs/unlock", json={"workerId": "a"}).get_json() == {"count": 2}
    assert len(lock(client, worker="b")) == 2
    assert client.post("/tasks/unlock", json={"engineId": "x"}).get_json() == {"count": 0}


def test_metrics_show_the_counters_moving(client):
    deploy(client)
    before = client.get("/metrics").get_data(as_text=True)
    instance = start(client)
    [job] = lock(client)
    complete(client, job)
    assert instance_state(client, instance) == "COMPLETED"
    import api.metrics as api_metrics

    api_metrics._database_collector._at = float("-inf")  # read the gauges afresh
    after = client.get("/metrics").get_data(as_text=True)

    def value(text, line_start):
        lines = [line for line in text.splitlines() if line.startswith(line_start)]
        return float(lines[0].rsplit(" ", 1)[1]) if lines else 0.0

    started = 'baton_process_instances_started_total{process="serviceTest"}'
    ended = 'baton_process_instances_ended_total{process="serviceTest",state="COMPLETED"}'
    assert value(after, started) == value(before, started) + 1
    assert value(after, ended) == value(before, ended) + 1
    assert value(after, 'baton_jobs_completed_total{type="EXECUTE"}') >= 1
    assert "baton_engine_task_latency_seconds_bucket" in after
    assert 'baton_api_request_seconds_count{method="POST",route="/jobs/lock",status="200"}' in after
    assert "baton_incidents_open 0.0" in after


def test_metrics_count_an_instance_failing_once_per_incident(client):
    deploy(client)
    started = 'baton_process_instances_failed_total{process="serviceTest"}'

    def failed():
        lines = [
            line for line in client.get("/metrics").get_data(as_text=True).splitlines() if line.startswith(started)
        ]
        return float(lines[0].rsplit(" ", 1)[1]) if lines else 0.0

    before = failed()
    start(client)
    [job] = lock(client)
    assert complete(client, job, error="boom", retryLimit=0).status_code == 200  # no retry left: an incident
    assert failed() == before + 1


def test_metrics_need_a_key(app):
    assert app.test_client().get("/metrics").status_code == 401
