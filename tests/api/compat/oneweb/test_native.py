"""The native capabilities added for the ONEWEB facade: the worklist, the variables a user task
sees, completion by the assignee, assigning every open task of an instance, and dropping cached
process graphs."""

from __future__ import annotations

import json

import pytest

from tests.api.compat.oneweb.test_oneweb import BOOKING, run_engine


@pytest.fixture
def app(app):
    """The app with the new native blueprints (until ``create_app`` registers them itself)."""
    from api.routes import process_cache, user_task_work

    api = app.extensions["flask-smorest"]["apis"][""]["ext_obj"]
    for module in (user_task_work, process_cache):
        if module.blp.name not in app.blueprints:
            api.register_blueprint(module.blp)
    return app


@pytest.fixture
def instance(client):
    """A started Booking Room instance waiting at its first user task (candidate groups R0003,
    frontDesk), with variables ``clerk`` and ``nights``."""
    client.post(
        "/processes", json={"bpmnProcessId": "bookingRoom", "bpmnXml": BOOKING, "version": "1", "workerId": "t"}
    )
    variables = {"clerk": {"encoding": "json", "value": '"ann"'}, "nights": {"encoding": "json", "value": "3"}}
    response = client.post(
        "/process-instances", json={"bpmnProcessId": "bookingRoom", "workerId": "t", "variables": variables}
    )
    assert response.status_code == 201, response.get_json()
    run_engine(client)
    return response.get_json()


def the_task(client, instance):
    query = {"processInstanceId": instance["id"], "states": ["STARTED"]}
    [task] = client.post("/user-tasks/query", json=query).get_json()["results"]
    return task


def worklist(client, **criteria):
    response = client.post("/user-tasks/worklist", json=criteria)
    assert response.status_code == 200, response.get_json()
    return [task["id"] for task in response.get_json()["results"]]


def test_the_worklist_has_tasks_assigned_to_or_offered_to_a_person(client, instance):
    task = the_task(client, instance)
    assert worklist(client, groups=["frontDesk"]) == [task["id"]]
    assert worklist(client, user="bob") == []
    path = f"/user-tasks/{task['partition']}/{task['id']}"
    client.patch(f"{path}/assign", json={"workerId": "a", "candidateUsers": ["bob"]})
    assert worklist(client, user="bob") == [task["id"]]
    client.patch(f"{path}/claim", json={"workerId": "a", "user": "carl"})
    assert worklist(client, user="carl") == [task["id"]] == worklist(client, user="bob")
    assert worklist(client, user="carl", states=["COMPLETED"]) == []
    assert worklist(client, user="carl", partition="2020-01-01") == []
    missing = client.post("/user-tasks/worklist", json={})
    assert missing.status_code == 400 and missing.get_json()["errors"][0]["pointer"] == "#/user"


def test_a_user_task_sees_process_and_own_variables(client, instance):
    task = the_task(client, instance)
    path = f"/user-tasks/{task['partition']}/{task['id']}/variables"
    client.put(
        f"/element-instances/{task['partition']}/{task['elementInstanceId']}/variables",
        json={"workerId": "t", "variables": {"nights": {"encoding": "json", "value": "4"}}},
    )
    body = client.get(path).get_json()
    assert {v["name"]: json.loads(v["data"]["value"]) for v in body["variables"]} == {"clerk": "ann", "nights": 4}
    assert client.get(f"{path}?names=clerk").get_json()["count"] == 1
    assert client.get("/user-tasks/2025-01-01/1/variables").status_code == 404


def test_only_the_assignee_completes_a_task_without_a_revision(client, instance):
    task = the_task(client, instance)
    path = f"/user-tasks/{task['partition']}/{task['id']}"
    body = {"workerId": "ui", "user": "ann", "processVariables": {"room": {"encoding": "json", "value": '"A-1"'}}}
    assert "claim it" in client.patch(f"{path}/complete", json=body).get_json()["detail"]
    client.patch(f"{path}/claim", json={"workerId": "ui", "user": "bob"})
    refused = client.patch(f"{path}/complete", json=body)
    assert refused.status_code == 409 and "claimed by bob" in refused.get_json()["detail"]
    done = client.patch(f"{path}/complete", json={**body, "user": "bob"})
    assert done.status_code == 200 and done.get_json()["state"] == "COMPLETED"
    assert client.patch(f"{path}/complete", json={**body, "user": "bob"}).status_code == 409
    assert client.patch("/user-tasks/2025-01-01/1/complete", json=body).status_code == 404
    assert client.patch(f"{path}/complete", json={"workerId": "ui"}).status_code == 400


def test_every_open_task_of_an_instance_is_assigned_at_once(client, instance):
    path = f"/process-instances/{instance['partition']}/{instance['id']}/user-tasks/assign"
    body = client.patch(path, json={"workerId": "admin", "candidateUsers": ["dora"], "assignee": None}).get_json()
    assert body["count"] == 1 and body["results"][0]["candidateUsers"] == ["dora"]
    client.patch(f"/process-instances/{instance['partition']}/{instance['id']}/cancel", json={"workerId": "t"})
    ended = client.patch(path, json={"workerId": "admin", "assignee": "dora"})
    assert ended.status_code == 409 and "has ended" in ended.get_json()["detail"]
    assert client.patch("/process-instances/2025-01-01/1/user-tasks/assign", json={"workerId": "a"}).status_code == 404


def test_cached_process_graphs_can_be_dropped(client, instance):
    assert client.post("/process-cache/forget", json={"bpmnProcessId": "bookingRoom"}).get_json() == {"count": 1}
    assert client.post("/process-cache/forget", json={}).get_json() == {"count": 0}
    assert client.post("/process-cache/forget", json={"bpmnProcessId": "nope"}).status_code == 404
