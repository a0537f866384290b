"""User tasks over HTTP: assignment from the model, claim, complete, revision locking."""

from __future__ import annotations

from tests.api.routes.test_process_instances import execute, instance_state
from tests.conftest import MODELS


def deploy_and_start(client, variables=None):
    xml = (MODELS / "approval.bpmn").read_text()
    assert (
        client.post(
            "/processes", json={"bpmnProcessId": "approval", "bpmnXml": xml, "version": "1", "workerId": "t"}
        ).status_code
        == 201
    )
    response = client.post(
        "/process-instances", json={"bpmnProcessId": "approval", "workerId": "t", "variables": variables or {}}
    )
    instance = response.get_json()
    execute(client, instance)
    return instance


def the_task(client, instance):
    [task] = client.post("/user-tasks/query", json={"processInstanceId": instance["id"]}).get_json()["results"]
    return task


def test_assignment_is_read_from_the_model_and_evaluated(client):
    instance = deploy_and_start(client, {"approver": {"encoding": "json", "value": '"ann"'}})
    task = the_task(client, instance)
    assert task["name"] == "Approve order"
    assert task["assignee"] == "ann"
    assert task["candidateGroups"] == ["managers", "finance"]
    assert task["priority"] == 80
    assert task["dueDate"].startswith("2030-01-01T09:00:00")
    assert task["state"] == "STARTED" and task["revision"] == 1


def test_query_by_assignee_candidate_and_state(client):
    instance = deploy_and_start(client, {"approver": {"encoding": "json", "value": '"ann"'}})
    query = lambda body: client.post("/user-tasks/query", json=body).get_json()["count"]  # noqa: E731
    assert query({"assignee": "ann"}) == 1 and query({"assignee": "bob"}) == 0
    assert query({"candidateGroup": "finance"}) == 1 and query({"candidateGroup": "sales"}) == 0
    assert query({"candidateGroups": ["sales", "managers"]}) == 1
    assert query({"states": ["COMPLETED"]}) == 0
    assert query({"processInstanceId": instance["id"], "states": ["STARTED"]}) == 1


def test_claim_complete_and_revision_locking(client):
    instance = deploy_and_start(client)
    task = the_task(client, instance)
    path = f"/user-tasks/{task['partition']}/{task['id']}"
    claimed = client.patch(f"{path}/claim", json={"workerId": "ui", "user": "bob"}).get_json()
    assert claimed["assignee"] == "bob" and claimed["revision"] == 2
    taken = client.patch(f"{path}/claim", json={"workerId": "ui", "user": "eve"})
    assert taken.status_code == 409 and "claimed by bob" in taken.get_json()["detail"]
    stale = client.patch(path, json={"workerId": "ui", "revision": 1, "completed": True})
    assert stale.status_code == 409 and "revision" in stale.get_json()["detail"]
    done = client.patch(
        path,
        json={
            "workerId": "ui",
            "revision": 2,
            "completed": True,
            "processVariables": {"approved": {"encoding": "json", "value": "true"}},
            "tags": [{"name": "checked", "value": "yes"}],
        },
    )
    assert done.status_code == 200
    body = done.get_json()
    assert body["state"] == "COMPLETED" and body["revision"] == 3 and body["endedAt"]
    assert body["tags"] == [{"name": "checked", "value": "yes"}]
    assert instance_state(client, instance) == "COMPLETED"
    again = client.patch(path, json={"workerId": "ui", "revision": 3, "completed": True})
    assert again.status_code == 409 and "COMPLETED" in again.get_json()["detail"]
    assert client.patch(f"{path}/claim", json={"workerId": "ui", "user": "bob"}).status_code == 409


def test_unclaim_assign_and_tags_without_completing(client):
    instance = deploy_and_start(client)
    task = the_task(client, instance)
    path = f"/user-tasks/{task['partition']}/{task['id']}"
    client.patch(f"{path}/claim", json={"workerId": "ui", "user": "bob"})
    assert "assignee" not in client.patch(f"{path}/unclaim", json={"workerId": "ui"}).get_json()
    assigned = client.patch(
        f"{path}/assign", json={"workerId": "admin", "assignee": "carl", "candidateUsers": ["dora"]}
    ).get_json()
    assert assigned["assignee"] == "carl" and assigned["candidateUsers"] == ["dora"]
    tagged = client.patch(
        path, json={"workerId": "ui", "revision": assigned["revision"], "tags": [{"name": "a", "value": "1"}]}
    ).get_json()
    assert tagged["state"] == "STARTED" and tagged["tags"] == [{"name": "a", "value": "1"}]
    untagged = client.patch(
        path, json={"workerId": "ui", "revision": tagged["revision"], "tags": [{"name": "a"}]}
    ).get_json()
    assert "tags" not in untagged
    assert instance_state(client, instance) == "STARTED"


def test_canceling_the_instance_cancels_its_user_task(client):
    instance = deploy_and_start(client)
    client.patch(f"/process-instances/{instance['partition']}/{instance['id']}/cancel", json={"workerId": "t"})
    task = the_task(client, instance)
    assert task["state"] == "CANCELED"
    path = f"/user-tasks/{task['partition']}/{task['id']}"
    assert (
        client.patch(path, json={"workerId": "ui", "revision": task["revision"], "completed": True}).status_code == 409
    )


def test_bad_user_task_requests(client):
    assert client.patch("/user-tasks/2025-01-01/1", json={"workerId": "w", "revision": 1}).status_code == 404
    bad = client.patch("/user-tasks/2025-01-01/1", json={"workerId": "w"})
    assert bad.status_code == 400 and bad.get_json()["errors"][0]["pointer"] == "#/revision"
    both = deploy_and_start(client)
    task = the_task(client, both)
    conflicting = client.patch(
        f"/user-tasks/{task['partition']}/{task['id']}",
        json={"workerId": "w", "revision": 1, "completed": True, "errorCode": "x"},
    )
    assert conflicting.status_code == 400
    assert client.post("/user-tasks/query", json={"states": ["OPEN"]}).status_code == 400
