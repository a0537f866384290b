"""The Atom Engine facade: the seed's curl examples, run as written (host, ids and key replaced),
over the real database; instances driven to completion through the native job and user-task API.
The quick start is in ``test_quick_start.py``; the helpers here serve both."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.api.compat.models import ORDER_PROCESSING as MODEL


@pytest.fixture
def facades() -> tuple[str, ...]:
    return ("atom",)


class Curl:
    """The seed's requests: ``X-API-Key`` and JSON exactly as its curl lines send them."""

    def __init__(self, app: Any, key: str) -> None:
        self.http = app.test_client()
        self.key = key

    def __call__(self, method: str, path: str, body: str | None = None, **headers: str) -> Any:
        sent = {"X-API-Key": self.key, **headers}
        if body is not None:
            sent["Content-Type"] = "application/json"
        return self.http.open(path, method=method, data=body, headers=sent)


@pytest.fixture
def curl(app: Any, api_key: str) -> Curl:
    return Curl(app, api_key)


def deploy(client: Any, xml: str = MODEL, process_id: str = "order-processing", version: str = "1") -> None:
    response = client.post(
        "/processes", json={"bpmnProcessId": process_id, "bpmnXml": xml, "version": version, "workerId": "ops"}
    )
    assert response.status_code in (200, 201), response.get_json()


def run_engine_tasks(client: Any) -> None:
    """What Celery workers do in production: run the engine tasks that are due."""
    while client.post("/tasks/execute", json={"limit": 100}).get_json()["locked"]:
        pass


def complete_service_task(client: Any, expect_type: str = "order-validator") -> dict[str, Any]:
    """A job worker: lock the job over the native API and complete it with a variable."""
    [job] = client.post("/jobs/lock", json={"workerId": "validator-1", "types": [expect_type]}).get_json()["jobs"]
    done = client.patch(
        f"/jobs/{job['partition']}/{job['id']}/complete",
        json={"workerId": "validator-1", "processVariables": {"valid": {"encoding": "json", "value": "true"}}},
    )
    assert done.status_code == 200, done.get_json()
    run_engine_tasks(client)
    return job


def complete_user_task(client: Any) -> None:
    [task] = client.post("/user-tasks/query", json={"states": ["STARTED"]}).get_json()["results"]
    done = client.patch(
        f"/user-tasks/{task['partition']}/{task['id']}",
        json={"workerId": "clerk", "revision": task["revision"], "completed": True},
    )
    assert done.status_code == 200, done.get_json()
    run_engine_tasks(client)


def data(response: Any, status: int = 200) -> Any:
    body = response.get_json()
    assert response.status_code == status, body
    assert response.mimetype == "application/json"
    assert body["success"] is True and body["request_id"]
    return body["data"]


def problem(response: Any, status: int, code: str) -> dict[str, Any]:
    body = response.get_json()
    assert response.status_code == status, body
    assert response.mimetype == "application/problem+json"
    assert body["status"] == status and body["title"] and body["type"]
    assert body["success"] is False and body["error"]["code"] == code and body["error"]["message"]
    return body


# --- the seed's filter, monitoring and typed examples (its quick start: test_quick_start.py) ------


def test_filter_and_monitoring_examples(client, curl):
    deploy(client)
    for n in range(3):
        curl("POST", "/api/v1/processes", json.dumps({"process_id": "order-processing", "variables": {"n": n}}))
    run_engine_tasks(client)
    complete_service_task(client)
    complete_user_task(client)  # the first order is COMPLETED, two stay ACTIVE

    def listed(query: str) -> dict[str, Any]:
        return data(curl("GET", f"/api/v1/processes{query}"))

    active = listed("?status=ACTIVE")
    assert [p["status"] for p in active["processes"]] == ["ACTIVE", "ACTIVE"]
    assert active["pagination"] == {
        "page": 1,
        "page_size": 20,
        "total_count": 2,
        "total_pages": 1,
        "has_next": False,
        "has_prev": False,
    }
    assert listed("?process_id=order-processing")["pagination"]["total_count"] == 3
    assert listed("?started_after=2025-01-01T00:00:00Z")["pagination"]["total_count"] == 3
    page_two = listed("?status=ACTIVE&process_id=order-processing&page=2&page_size=50")
    assert page_two["processes"] == [] and page_two["pagination"]["has_prev"] is True
    newest_first = listed("?status=ACTIVE&sort_by=started_at&sort_order=DESC")["processes"]
    assert [p["variables"]["n"] for p in newest_first] == [2, 1]
    assert listed("?status=ACTIVE&started_before=2025-01-10T00:00:00Z")["processes"] == []
    assert [p["variables"]["n"] for p in listed("?sort_by=started_at&sort_order=asc&page_size=2")["processes"]] == [
        0,
        1,
    ]

    stats = data(curl("GET", "/api/v1/processes/stats"))
    assert stats["overview"]["total_instances"] == 3 and stats["overview"]["active_instances"] == 2
    assert stats["status_distribution"]["COMPLETED"]["count"] == 1
    assert stats["process_breakdown"][0]["process_id"] == "order-processing"

    instance_id = active["processes"][0]["instance_id"]
    info = data(curl("GET", f"/api/v1/processes/{instance_id}/info"))
    assert info["status"]["current_status"] == "ACTIVE"
    assert info["process_definition"]["name"] == "Order processing"
    assert info["active_jobs"][0]["type"] == "order-validator"
    assert info["variables"]["current_variables"] == {"n": info["variables"]["current_variables"]["n"]}
    assert {"history", "variables", "incidents"} == set(info["metadata"]["included_sections"])
    lean = data(curl("GET", f"/api/v1/processes/{instance_id}/info?include_history=false&include_variables=false"))
    assert "execution_history" not in lean and "variables" not in lean

    tokens = data(curl("GET", f"/api/v1/processes/{instance_id}/tokens"))
    assert tokens["summary"]["active_tokens"] == 1 and tokens["summary"]["completed_tokens"] == 1
    [waiting] = data(curl("GET", f"/api/v1/processes/{instance_id}/tokens?state=ACTIVE"))["tokens"]
    assert waiting["element_id"] == "validate-order" and waiting["execution_context"]["job_key"].startswith("job-")
    assert waiting["parent_token_id"] == tokens["tokens"][0]["token_id"]
    summary = data(curl("GET", f"/api/v1/processes/{instance_id}/tokens/trace?format=summary"))
    assert summary["current_position"] == "validate-order"


def test_typed_variants_carry_types_and_the_native_address(client, curl):
    deploy(client)
    started = data(
        curl(
            "POST",
            "/api/v1/processes/typed",
            '{"process_key": "order-processing", "version": 1, "variables": {"a": 1, "b": "x", "c": [1]}}',
        ),
        201,
    )
    assert started["success"] is True and started["status"] == "ACTIVE" and started["process_key"] == "order-processing"
    assert started["metadata"]["variable_types"] == {"a": "number", "b": "string", "c": "array"}
    run_engine_tasks(client)
    instance_id = started["instance_id"]
    details = data(curl("GET", f"/api/v1/processes/{instance_id}/typed"))
    assert details["status"] == "ACTIVE" and details["active_tokens"] == 1
    native = details["metadata"]["native"]
    assert instance_id == f"pi-{native['partition'].replace('-', '')}-{native['id']}"
    typed_list = data(curl("GET", "/api/v1/processes/typed?status=active"))
    assert typed_list["total_count"] == 1 and typed_list["instances"][0]["instance_id"] == instance_id
    assert typed_list["instances"][0]["current_activity"] == "validate-order"
    typed_tokens = data(curl("GET", f"/api/v1/processes/{instance_id}/tokens/typed"))
    assert typed_tokens["total_count"] == 2 and typed_tokens["tokens"][1]["is_active"] is True
    typed_trace = data(curl("GET", f"/api/v1/processes/{instance_id}/trace/typed"))
    assert typed_trace["execution_path"] == ["order-received", "validate-order"]
    assert typed_trace["events"][0]["action"] == "TOKEN_CREATED"
    cancelled = data(curl("DELETE", f"/api/v1/processes/{instance_id}/typed", '{"reason": "typed cancel"}'))
    assert cancelled["success"] is True and cancelled["reason"] == "typed cancel" and cancelled["status"] == "CANCELLED"


# --- limits and bad input: problems, never a 500 ----------------------------------------------


def test_page_size_above_100_is_a_problem(curl):
    body = problem(curl("GET", "/api/v1/processes?page_size=101"), 400, "VALIDATION_ERROR")
    assert body["errors"][0]["pointer"] == "#/query/page_size"
    assert body["error"]["details"]["field_errors"] == {"page_size": "must be at least 1 and at most 100"}
    assert body["error"]["message"] == "page_size: must be at least 1 and at most 100"
    assert body["errors"][0]["type"] == "max"
    problem(curl("GET", "/api/v1/processes?page=0"), 400, "VALIDATION_ERROR")
    problem(curl("GET", "/api/v1/processes?status=RUNNING"), 400, "VALIDATION_ERROR")
    problem(curl("GET", "/api/v1/processes?started_after=yesterday"), 400, "VALIDATION_ERROR")
    problem(curl("GET", "/api/v1/processes?pagesize=10"), 400, "VALIDATION_ERROR")
    problem(curl("GET", "/api/v1/processes?sort_by=variables"), 400, "VALIDATION_ERROR")
    problem(curl("GET", "/api/v1/processes?tenant_id=production"), 400, "VALIDATION_ERROR")


def test_more_than_5_mb_of_variables_is_refused_with_413(client, curl):
    deploy(client)
    big = json.dumps({"process_id": "order-processing", "variables": {"blob": "x" * (5 * 1024 * 1024)}})
    body = problem(curl("POST", "/api/v1/processes", big), 413, "PAYLOAD_TOO_LARGE")
    assert "5242880" in body["detail"]
    assert client.post("/process-instances/query", json={}).get_json()["count"] == 0


def test_bad_starts(client, curl):
    problem(curl("POST", "/api/v1/processes", '{"process_id": "nope"}'), 404, "PROCESS_NOT_FOUND")
    problem(curl("POST", "/api/v1/processes", '{"variables": {}}'), 400, "VALIDATION_ERROR")
    problem(curl("POST", "/api/v1/processes", '{"process_id": "x", "priority": 1}'), 400, "VALIDATION_ERROR")
    problem(curl("POST", "/api/v1/processes", '{"process_id": "x", "variables": []}'), 400, "VALIDATION_ERROR")
    problem(curl("POST", "/api/v1/processes", '{"process_id": "x", "version": true}'), 400, "VALIDATION_ERROR")
    problem(curl("POST", "/api/v1/processes", "{not json"), 400, "VALIDATION_ERROR")
    deploy(client)
    bad_name = problem(
        curl("POST", "/api/v1/processes", '{"process_id": "order-processing", "variables": {"a b": 1}}'),
        400,
        "VALIDATION_ERROR",
    )
    assert bad_name["errors"][0]["pointer"] == "#/variables/a b"
    octet = curl.http.post(
        "/api/v1/processes",
        data=b"\x00\x01",
        headers={"X-API-Key": curl.key, "Content-Type": "application/octet-stream"},
    )
    problem(octet, 415, "UNSUPPORTED_MEDIA_TYPE")


def test_bad_instance_ids_and_cancels(client, curl):
    problem(curl("GET", "/api/v1/processes/srv1-aB3dEf9hK2mN5pQ8uV"), 400, "VALIDATION_ERROR")
    problem(curl("GET", "/api/v1/processes/pi-20251399-1"), 400, "VALIDATION_ERROR")
    problem(curl("GET", "/api/v1/processes/pi-20250501-99999999999"), 404, "PROCESS_INSTANCE_NOT_FOUND")
    for path in ("", "/info", "/typed", "/tokens", "/tokens/trace", "/tokens/typed", "/trace/typed"):
        problem(curl("GET", f"/api/v1/processes/pi-20250501-7{path}"), 404, "PROCESS_INSTANCE_NOT_FOUND")
    problem(curl("DELETE", "/api/v1/processes/pi-20250501-7"), 404, "PROCESS_INSTANCE_NOT_FOUND")
    deploy(client)
    started = data(curl("POST", "/api/v1/processes", '{"process_id": "order-processing"}'), 201)
    long_reason = "r" * 501
    problem(curl("DELETE", f"/api/v1/processes/{started['instance_id']}?reason={long_reason}"), 400, "VALIDATION_ERROR")
    problem(
        curl("DELETE", f"/api/v1/processes/{started['instance_id']}", json.dumps({"reason": long_reason})),
        400,
        "VALIDATION_ERROR",
    )
    problem(curl("GET", f"/api/v1/processes/{started['instance_id']}/tokens?state=WAITING"), 400, "VALIDATION_ERROR")
    data(curl("DELETE", f"/api/v1/processes/{started['instance_id']}"))
    problem(curl("DELETE", f"/api/v1/processes/{started['instance_id']}/typed"), 409, "PROCESS_NOT_CANCELLABLE")


def test_the_key_is_required(curl):
    response = curl.http.get("/api/v1/processes")
    body = problem(response, 401, "UNAUTHORIZED")
    assert body["request_id"].startswith("req_")
    problem(curl.http.get("/api/v1/processes", headers={"X-API-Key": "wrong"}), 401, "UNAUTHORIZED")
    traced = curl.http.get("/api/v1/processes", headers={"X-API-Key": curl.key, "X-Request-ID": "abc-1"})
    assert traced.get_json()["request_id"] == "abc-1"


# --- the native additions the facade maps onto -------------------------------------------------


def test_native_query_sorts_and_bounds_by_creation_time(client, curl):
    deploy(client)
    for n in range(3):
        curl("POST", "/api/v1/processes", json.dumps({"process_id": "order-processing", "variables": {"n": n}}))
    query = lambda body: client.post("/process-instances/query", json=body)  # noqa: E731
    ids = [i["id"] for i in query({}).get_json()["results"]]
    assert [i["id"] for i in query({"sortOrder": "DESC"}).get_json()["results"]] == ids[::-1]
    assert [i["id"] for i in query({"sortBy": "bpmnProcessId", "sortOrder": "DESC"}).get_json()["results"]] == ids[::-1]
    created = [i["createdAt"] for i in query({}).get_json()["results"]]
    after = query({"startedAfter": created[1]}).get_json()["results"]
    assert [i["id"] for i in after] == ids[1:]
    before = query({"startedBefore": created[1], "startedAfter": "2025-01-01T00:00:00Z"}).get_json()["results"]
    assert [i["id"] for i in before] == ids[:1]
    assert query({"sortBy": "variables"}).status_code == 400
    assert query({"startedAfter": "2025-01-01T00:00:00"}).status_code == 400  # no time zone
