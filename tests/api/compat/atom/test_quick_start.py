"""The seed's quick start for the Atom facade, run as written (host, ids and key replaced), over the
real database: start an order, check its status, let a job worker and a clerk complete it over the
native API, watch its trace, then cancel a finished order and a running one.

The scenario runs once per test (``quick_start``); each test checks one step of it, so a failure
names the behaviour that broke.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.api.compat.atom.test_atom import (
    Curl,
    complete_service_task,
    complete_user_task,
    data,
    deploy,
    problem,
    run_engine_tasks,
)


@pytest.fixture
def facades() -> tuple[str, ...]:
    return ("atom",)


@pytest.fixture
def curl(app: Any, api_key: str) -> Curl:
    return Curl(app, api_key)


@dataclass(frozen=True)
class QuickStart:
    """Every answer of the quick start, in the order the seed's steps ask for them."""

    started: Any  # POST /api/v1/processes
    status: Any  # GET …/{id} once a worker started the instance
    validated: Any  # GET …/{id} after the job worker completed validate-order
    done: Any  # GET …/{id} after the clerk completed approve-order
    trace: Any  # GET …/{id}/tokens/trace of the completed order
    refused: Any  # DELETE of the completed order
    second: Any  # POST of a second order
    cancelled: Any  # DELETE of the second, running order
    native: list[dict[str, Any]]  # the CANCELED instances as the native query answers them


@pytest.fixture
def quick_start(client: Any, curl: Curl) -> QuickStart:
    deploy(client)
    # 1. Start the process
    started = curl(
        "POST",
        "/api/v1/processes",
        '{\n    "process_id": "order-processing",\n    "variables": {\n      "orderId": "ORD-12345",\n'
        '      "amount": 299.99\n    }\n  }',
    )
    instance_id = started.get_json()["data"]["instance_id"]
    run_engine_tasks(client)

    # 2. Check the status
    status = curl("GET", f"/api/v1/processes/{instance_id}")
    complete_service_task(client)
    validated = curl("GET", f"/api/v1/processes/{instance_id}")
    complete_user_task(client)
    done = curl("GET", f"/api/v1/processes/{instance_id}")

    # 3. Monitor the execution
    trace = curl("GET", f"/api/v1/processes/{instance_id}/tokens/trace")

    # 4. Cancel when needed: a finished order cannot be cancelled; a running one can
    refused = curl("DELETE", f"/api/v1/processes/{instance_id}?reason=Customer%20cancellation")
    second = curl("POST", "/api/v1/processes", '{"process_id": "order-processing", "variables": {"orderId": "ORD-2"}}')
    run_engine_tasks(client)
    second_id = second.get_json()["data"]["instance_id"]
    cancelled = curl("DELETE", f"/api/v1/processes/{second_id}?reason=Customer%20cancellation")
    native = client.post("/process-instances/query", json={"state": "CANCELED"}).get_json()["results"]
    return QuickStart(started, status, validated, done, trace, refused, second, cancelled, native)


def test_starting_an_order_answers_the_new_active_instance_with_its_variables(quick_start):
    started = data(quick_start.started, 201)
    instance_id = started["instance_id"]
    assert instance_id.startswith("pi-") and started["status"] == "ACTIVE"
    assert started["process_id"] == "order-processing" and started["version"] == 1
    assert started["variables"] == {"orderId": "ORD-12345", "amount": 299.99}


def test_the_status_shows_the_current_activity_and_the_variables(quick_start):
    status = data(quick_start.status)
    assert status["status"] == "ACTIVE" and status["current_activity"] == "validate-order"
    assert status["current_activities"] == [
        {
            "element_id": "validate-order",
            "element_type": "serviceTask",
            "element_name": "Validate order",
            "tokens": 1,
            "started_at": status["current_activities"][0]["started_at"],
        }
    ]
    assert status["variables"] == {"orderId": "ORD-12345", "amount": 299.99}
    assert status["metrics"]["active_activities_count"] == 1


def test_the_status_moves_to_the_user_task_once_the_job_worker_is_done(quick_start):
    assert data(quick_start.validated)["current_activity"] == "approve-order"


def test_a_completed_order_shows_its_variables_and_every_completed_activity(quick_start):
    done = data(quick_start.done)
    assert done["status"] == "COMPLETED" and done["completed_at"] and done["current_activity"] is None
    assert done["variables"] == {"orderId": "ORD-12345", "amount": 299.99, "valid": True}
    assert [a["element_id"] for a in done["completed_activities"]] == [
        "order-received",
        "validate-order",
        "approve-order",
        "order-done",
    ]


def test_the_trace_numbers_every_token_change_up_to_the_end_event(quick_start):
    trace = data(quick_start.trace)
    timeline = trace["execution_timeline"]
    assert [t["sequence"] for t in timeline] == list(range(1, len(timeline) + 1))
    assert ("validate-order", "TOKEN_COMPLETED") in {(t["element_id"], t["action"]) for t in timeline}
    assert timeline[-1]["element_id"] == "order-done"
    assert trace["summary"]["execution_status"] == "COMPLETED"


def test_a_finished_order_cannot_be_cancelled(quick_start):
    problem(quick_start.refused, 409, "PROCESS_NOT_CANCELLABLE")


def test_a_running_order_is_cancelled_with_its_reason_and_its_active_token(quick_start):
    data(quick_start.second, 201)
    cancelled = data(quick_start.cancelled)
    assert cancelled["status"] == "CANCELLED" and cancelled["cancellation_reason"] == "Customer cancellation"
    assert cancelled["cancelled_activities"] == ["validate-order"] and cancelled["active_tokens_cancelled"] == 1
    assert cancelled["cancelled_by"] == "tests"
    native = quick_start.native
    assert [i["endReason"] for i in native] == ["Customer cancellation"]
