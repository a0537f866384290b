"""The Atom facade against the real processes (gunicorn, Celery worker, beat): the seed's quick
start as an Atom script runs it, a job worker and a clerk over the native API in between."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from api import compat
from tests.api.compat.models import ORDER_PROCESSING as MODEL
from tests.e2e.conftest import stack  # noqa: F401 - the fixture
from tests.waiting import LOCK_TIMEOUT_MS, wait_for

pytestmark = pytest.mark.e2e


def atom(running: Any, method: str, path: str, body: str | None = None) -> requests.Response:
    """An Atom script's request: the key in ``X-API-Key``, JSON bodies."""
    headers = {"X-API-Key": running.api.key}
    if body is not None:
        headers["Content-Type"] = "application/json"
    return requests.request(method, running.api.url + path, data=body, headers=headers, timeout=30)


def test_the_atom_facade_is_registered():
    assert "atom" in compat.FACADES


def test_an_order_started_through_atom_runs_to_completion_on_the_real_stack(stack):  # noqa: F811
    api = stack.api
    api.deploy(MODEL, "order-processing")
    started = atom(
        stack,
        "POST",
        "/api/v1/processes",
        '{"process_id": "order-processing", "variables": {"orderId": "ORD-12345", "amount": 299.99}}',
    )
    assert started.status_code == 201, started.text
    instance_id = started.json()["data"]["instance_id"]

    def waiting_at(element: str) -> bool:
        status = atom(stack, "GET", f"/api/v1/processes/{instance_id}").json()["data"]
        return status["current_activity"] == element

    wait_for(lambda: waiting_at("validate-order"), what="the order waiting at validate-order")
    [job] = api.call(
        "POST", "/jobs/lock", {"workerId": "validator", "types": ["order-validator"], "timeout": LOCK_TIMEOUT_MS}
    )["jobs"]
    api.call("PATCH", f"/jobs/{job['partition']}/{job['id']}/complete", {"workerId": "validator"})
    wait_for(lambda: waiting_at("approve-order"), what="the order waiting at approve-order")
    [task] = api.call("POST", "/user-tasks/query", {"states": ["STARTED"]})["results"]
    api.call(
        "PATCH",
        f"/user-tasks/{task['partition']}/{task['id']}",
        {"workerId": "clerk", "revision": task["revision"], "completed": True},
    )
    done = wait_for(
        lambda: atom(stack, "GET", f"/api/v1/processes/{instance_id}").json()["data"],
        lambda status: status["status"] == "COMPLETED",
        what="the order COMPLETED",
    )
    assert done["variables"] == {"orderId": "ORD-12345", "amount": 299.99}
    trace = atom(stack, "GET", f"/api/v1/processes/{instance_id}/tokens/trace").json()["data"]
    assert trace["execution_timeline"][-1]["element_id"] == "order-done"
    listed = atom(stack, "GET", "/api/v1/processes?status=COMPLETED&process_id=order-processing").json()["data"]
    assert [p["instance_id"] for p in listed["processes"]] == [instance_id]

    second = atom(stack, "POST", "/api/v1/processes", '{"process_id": "order-processing"}').json()["data"]
    wait_for(
        lambda: atom(stack, "GET", f"/api/v1/processes/{second['instance_id']}").json()["data"]["current_activity"],
        what="the second order reaching an activity",
    )
    cancelled = atom(stack, "DELETE", f"/api/v1/processes/{second['instance_id']}?reason=Customer%20cancellation")
    assert cancelled.status_code == 200 and cancelled.json()["data"]["status"] == "CANCELLED"
    assert atom(stack, "GET", "/api/v1/processes?page_size=101").status_code == 400
