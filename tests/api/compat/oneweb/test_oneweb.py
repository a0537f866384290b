"""The ONEWEB process runtime facade: every method of the seed, as a client would call it, over
the real database; flows driven to completion by completing their user tasks."""

from __future__ import annotations

import json
import re

import pytest

BASE = "/BPMREST/service/runtime"
ID = re.compile(r"^\d{8}-\d+$")

BOOKING = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
             xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="booking">
  <process id="bookingRoom" name="Booking room" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="chooseRoom"/>
    <userTask id="chooseRoom" name="Choose room">
      <extensionElements><zeebe:assignmentDefinition candidateGroups="R0003, frontDesk"/></extensionElements>
    </userTask>
    <sequenceFlow id="f2" sourceRef="chooseRoom" targetRef="addCustomer"/>
    <userTask id="addCustomer" name="Add customer details">
      <extensionElements><zeebe:assignmentDefinition assignee="=clerk"/></extensionElements>
    </userTask>
    <sequenceFlow id="f3" sourceRef="addCustomer" targetRef="end"/>
    <endEvent id="end"/>
  </process>
</definitions>"""


@pytest.fixture
def facades() -> tuple[str, ...]:
    return ("oneweb",)


@pytest.fixture
def booking(client):
    """The Booking Room process, deployed as version 1."""
    response = client.post(
        "/processes", json={"bpmnProcessId": "bookingRoom", "bpmnXml": BOOKING, "version": "1", "workerId": "t"}
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def run_engine(client):
    """Run due engine tasks (what the Celery workers do in production)."""
    while client.post("/tasks/execute", json={"limit": 100}).get_json()["locked"]:
        pass


def native(instance_id):
    day, number = instance_id.split("-")
    return f"{day[:4]}-{day[4:6]}-{day[6:]}", int(number)


def instance_state(client, instance_id):
    partition, number = native(instance_id)
    found = client.post("/process-instances/query", json={"partition": partition, "id": number}).get_json()
    return found["results"][0]


def ok(response):
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["code"] == 0 and isinstance(body["timestamp"], int) and body["timestamp"] > 1_700_000_000_000
    return body


def start_flow(client, **variables):
    body = {"processName": "bookingRoom", "object": {"clerk": "origcmr4", **variables}}
    instance_id = ok(client.post(f"{BASE}/process/start", json=body))["data"]
    run_engine(client)
    return instance_id


def open_tasks(client, instance_id):
    return ok(client.get(f"{BASE}/instance/{instance_id}/tasks"))["data"]


def test_start_flow_answers_the_instance_id_and_keeps_the_business_object(client, booking):
    body = {
        "processName": "bookingRoom",
        "appName": "frontOffice",
        "uniqueId": "booking-0001",
        "snapVersion": "1",
        "object": {"RoomObject": {"room": "A-12", "floor": 3}, "CustomerInfo": {"name": "Ann"}, "vip": True},
    }
    response = client.post(f"{BASE}/process/start", json=body)
    answer = ok(response)
    assert set(answer) == {"data", "code", "timestamp", "totalRecordCount"} and answer["totalRecordCount"] == 1
    assert ID.match(answer["data"])
    instance = instance_state(client, answer["data"])
    assert instance["bpmnProcessId"] == "bookingRoom" and instance["version"] == "1"
    assert instance["correlationKey"] == "booking-0001"
    assert instance["tags"] == [{"name": "appName", "value": "frontOffice"}]
    partition, number = native(answer["data"])
    variables = client.get(f"/process-instances/{partition}/{number}/variables").get_json()["variables"]
    assert {v["name"]: json.loads(v["data"]["value"]) for v in variables} == body["object"]


def test_legacy_start_takes_the_process_name_from_the_path_and_the_body_as_business_object(client, booking):
    answer = ok(client.post(f"{BASE}/process/bookingRoom/start", json={"RoomObject": {"room": "B-1"}}))
    run_engine(client)
    assert instance_state(client, answer["data"])["state"] == "STARTED"
    assert ok(client.post(f"{BASE}/process/bookingRoom/start"))["data"] != answer["data"]  # no body at all


def test_a_flow_is_driven_to_completion_through_get_assign_claim_and_complete(client, booking):
    instance_id = start_flow(client)
    [choose] = open_tasks(client, instance_id)
    assert choose["taskName"] == "Choose room" and choose["taskDefinitionKey"] == "chooseRoom"
    assert choose["instanceId"] == instance_id and choose["processName"] == "bookingRoom"
    assert choose["assignee"] is None and choose["candidateGroups"] == ["R0003", "frontDesk"]
    assert choose["state"] == "STARTED" and choose["createDate"].endswith("Z")

    task = choose["taskId"]
    assigned = ok(client.post(f"{BASE}/tasks/{task}/assign?user=origcmr4&user=origcmr5"))
    assert assigned["data"] == "" and assigned["totalRecordCount"] == 1
    assert [t["taskId"] for t in ok(client.get(f"{BASE}/tasks?user=origcmr5"))["data"]] == [task]

    unclaimed = client.post(f"{BASE}/tasks/{task}/complete?user=origcmr4")
    assert unclaimed.status_code == 409 and "claim it" in unclaimed.get_json()["detail"]
    assert ok(client.post(f"{BASE}/tasks/{task}/claim?user=origcmr4"))["data"] == ""
    other = client.post(f"{BASE}/tasks/{task}/complete?user=origcmr5")
    assert other.status_code == 409 and other.get_json()["code"] == 409
    assert "only the assignee" in other.get_json()["detail"]
    assert ok(client.post(f"{BASE}/tasks/{task}/complete?user=origcmr4", json={"room": "A-12"}))["data"] == ""

    [customer] = open_tasks(client, instance_id)
    assert customer["taskDefinitionKey"] == "addCustomer" and customer["assignee"] == "origcmr4"
    ok(client.post(f"{BASE}/tasks/{customer['taskId']}/complete?user=origcmr4"))
    assert open_tasks(client, instance_id) == []
    assert instance_state(client, instance_id)["state"] == "COMPLETED"
    again = client.post(f"{BASE}/tasks/{customer['taskId']}/complete?user=origcmr4")
    assert again.status_code == 409 and "COMPLETED" in again.get_json()["detail"]


def test_claim_takes_a_free_task_and_refuses_one_held_by_someone_else(client, booking):
    task = open_tasks(client, start_flow(client))[0]["taskId"]
    ok(client.post(f"{BASE}/tasks/{task}/claim?user=ann"))
    ok(client.post(f"{BASE}/tasks/{task}/claim?user=ann"))  # again by the holder: fine
    taken = client.post(f"{BASE}/tasks/{task}/claim?user=bob")
    assert taken.status_code == 409 and taken.headers["Content-Type"] == "application/problem+json"
    assert "claimed by ann" in taken.get_json()["detail"]


def test_tasks_by_user_role_or_group(client, booking):
    first = start_flow(client)
    second = start_flow(client)
    [task_one] = open_tasks(client, first)
    [task_two] = open_tasks(client, second)
    ok(client.post(f"{BASE}/tasks/{task_one['taskId']}/claim?user=ann"))
    ok(client.post(f"{BASE}/tasks/{task_two['taskId']}/assign?user=bob"))

    def ids(query):
        body = ok(client.get(f"{BASE}/tasks?{query}"))
        assert body["totalRecordCount"] == len(body["data"])
        return [t["taskId"] for t in body["data"]]

    assert ids("user=ann") == [task_one["taskId"]]  # assignee
    assert ids("user=bob") == [task_two["taskId"]]  # candidate user
    assert ids("group=R0003") == [task_one["taskId"], task_two["taskId"]]  # candidate group
    assert ids("role=frontDesk") == [task_one["taskId"], task_two["taskId"]]  # a role is a candidate group
    assert ids("user=ann&group=nobody") == [task_one["taskId"]]
    assert ids("group=R0003&limit=1&offset=1") == [task_two["taskId"]]
    assert ids("user=carl") == []
    missing = client.get(f"{BASE}/tasks")
    assert missing.status_code == 400 and missing.get_json()["code"] == 400


def test_task_variables_are_every_variable_the_task_sees(client, booking):
    instance_id = start_flow(client, RoomObject={"room": "A-12"}, nights=3)
    [task] = open_tasks(client, instance_id)
    body = ok(client.post(f"{BASE}/tasks/{task['taskId']}/variables"))
    assert body["data"] == {"RoomObject": {"room": "A-12"}, "clerk": "origcmr4", "nights": 3}
    assert body["totalRecordCount"] == 3


def test_assigning_an_instance_offers_all_its_open_tasks_to_the_user(client, booking):
    instance_id = start_flow(client)
    [task] = open_tasks(client, instance_id)
    body = ok(client.post(f"{BASE}/instance/{instance_id}/tasks/assign?user=origcmr4"))
    assert body["data"] == [task["taskId"]] and body["totalRecordCount"] == 1
    [offered] = open_tasks(client, instance_id)
    assert offered["candidateUsers"] == ["origcmr4"] and offered["assignee"] is None
    ok(client.post(f"{BASE}/tasks/{task['taskId']}/claim?user=origcmr4"))
    ok(client.post(f"{BASE}/tasks/{task['taskId']}/complete?user=origcmr4"))


def test_refresh_cache_and_class_action_drop_cached_process_graphs(client, booking):
    start_flow(client)  # parses and caches the graph
    assert ok(client.post(f"{BASE}/classAction", json={"processName": "bookingRoom"}))["totalRecordCount"] == 1
    assert ok(client.post(f"{BASE}/classAction?processName=bookingRoom"))["totalRecordCount"] == 0
    start_flow(client)  # parsed again, from the stored XML
    assert ok(client.post(f"{BASE}/refreshCache"))["totalRecordCount"] == 1
    unknown = client.post(f"{BASE}/classAction", json={"processName": "nope"})
    assert unknown.status_code == 404 and unknown.get_json()["code"] == 404
    assert client.post(f"{BASE}/classAction").status_code == 400


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("post", "/process/start", {}, 400),  # processName missing
        ("post", "/process/start", {"processName": "bookingRoom", "extra": 1}, 400),
        ("post", "/process/start", {"processName": "nope"}, 404),
        ("post", "/process/start", {"processName": "bookingRoom", "snapVersion": "9"}, 404),
        ("post", "/process/start", {"processName": "bookingRoom", "object": {"bad name": 1}}, 400),
        ("post", "/process/start", {"processName": "bookingRoom", "object": [1]}, 400),
        ("post", "/process/bookingRoom/start", [1, 2], 400),
        ("post", "/tasks/20250501-1/claim", None, 400),  # user missing
        ("post", "/tasks/not-an-id/claim?user=a", None, 400),
        ("post", "/tasks/20251399-1/claim?user=a", None, 400),
        ("post", "/tasks/20250501-9999999999/claim?user=a", None, 404),
        ("post", "/tasks/20250501-1/claim?user=a", None, 404),
        ("post", "/tasks/20250501-1/complete?user=a", None, 404),
        ("get", "/instance/20250501-1/tasks", None, 404),
        ("get", "/instance/x/tasks", None, 400),
        ("post", "/tasks/20250501-1/variables", None, 404),
        ("post", "/tasks/20250501-1/assign", None, 400),  # no user
        ("post", "/tasks/20250501-1/assign?user=a", None, 404),
        ("post", "/instance/20250501-1/tasks/assign?user=a", None, 404),
        ("get", "/tasks?limit=5000&user=a", None, 400),
    ],
)
def test_bad_requests_are_problems_with_a_code(client, booking, method, path, body, status):
    kwargs = {"json": body} if body is not None else {}
    response = getattr(client, method)(f"{BASE}{path}", **kwargs)
    assert response.status_code == status, response.get_json()
    assert response.headers["Content-Type"] == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == status and problem["code"] == status and problem["detail"]


def test_a_request_without_an_api_key_is_refused(app, booking):
    assert app.test_client().post(f"{BASE}/process/start", json={"processName": "bookingRoom"}).status_code == 401


def test_the_facade_is_in_the_openapi_document(client):
    paths = client.get("/openapi.json").get_json()["paths"]
    assert f"{BASE}/tasks/{{task_id}}/claim" in paths and f"{BASE}/classAction" in paths
