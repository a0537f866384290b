"""The ONEWEB facade against the real processes (gunicorn API, Celery worker, beat): a flow
started through the facade, its user tasks claimed and completed through the facade, observed
through the facade until it has no task left, and COMPLETED natively."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from api import compat
from tests.api.compat.oneweb.test_oneweb import BASE, BOOKING
from tests.e2e.conftest import stack  # noqa: F401 - the real processes
from tests.waiting import wait_for

pytestmark = pytest.mark.e2e


def test_the_oneweb_facade_is_registered():
    assert "oneweb" in compat.FACADES


def call(running: Any, method: str, path: str, **kwargs: Any) -> Any:
    response = running.api.session.request(method, f"{running.api.url}{BASE}{path}", timeout=30, **kwargs)
    assert response.status_code == 200, (method, path, response.status_code, response.text)
    body = response.json()
    assert body["code"] == 0
    return body["data"]


def tasks_of(running: Any, instance_id: str, count: int) -> list[dict[str, Any]]:
    """Poll the instance's open tasks until there are ``count`` (the workers move it on)."""
    return wait_for(
        lambda: call(running, "GET", f"/instance/{instance_id}/tasks"),
        lambda tasks: len(tasks) == count,
        what=f"{count} open tasks of {instance_id}",
    )


def test_a_flow_started_and_worked_through_oneweb_completes(stack: Any) -> None:  # noqa: F811 - the fixture
    stack.api.deploy(BOOKING, "bookingRoom")
    body = {"processName": "bookingRoom", "appName": "e2e", "object": {"clerk": "origcmr4", "RoomObject": {"r": 1}}}
    instance_id = call(stack, "POST", "/process/start", json=body)
    [choose] = tasks_of(stack, instance_id, 1)
    assert choose["taskDefinitionKey"] == "chooseRoom"
    assert call(stack, "POST", f"/tasks/{choose['taskId']}/variables")["RoomObject"] == {"r": 1}
    call(stack, "POST", f"/tasks/{choose['taskId']}/assign", params={"user": ["origcmr4", "origcmr5"]})
    assert [t["taskId"] for t in call(stack, "GET", "/tasks", params={"user": "origcmr5"})] == [choose["taskId"]]
    call(stack, "POST", f"/tasks/{choose['taskId']}/claim", params={"user": "origcmr4"})
    call(stack, "POST", f"/tasks/{choose['taskId']}/complete", params={"user": "origcmr4"}, json={"room": "A-1"})
    [customer] = tasks_of(stack, instance_id, 1)
    assert customer["taskDefinitionKey"] == "addCustomer" and customer["assignee"] == "origcmr4"
    call(stack, "POST", f"/tasks/{customer['taskId']}/complete", params={"user": "origcmr4"})
    assert tasks_of(stack, instance_id, 0) == []
    day, number = instance_id.split("-")
    native = {"partition": f"{day[:4]}-{day[4:6]}-{day[6:]}", "id": int(number)}
    stack.api.wait_state(native, "COMPLETED")
    assert call(stack, "POST", "/refreshCache") == ""
    refused = requests.post(f"{stack.api.url}{BASE}/refreshCache", timeout=30)
    assert refused.status_code == 401
