"""The Concord facade against the real processes (gunicorn, Celery worker, beat): a payload is
started as the seed's curl does it, a job worker downloads its files through the native API, and
``…/wait`` answers when the instance finishes."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import requests

from api import compat
from tests.api.compat.concord.test_concord import SETTINGS, payload
from tests.e2e.conftest import stack  # noqa: F401 - the fixture
from tests.waiting import LOCK_TIMEOUT_MS, wait_for

pytestmark = pytest.mark.e2e


def test_the_concord_facade_is_registered():
    assert "concord" in compat.FACADES


def concord(running: Any, method: str, path: str, body: bytes | None = None, **headers: str) -> requests.Response:
    """A Concord script's request: the key in ``Authorization``."""
    return requests.request(
        method,
        running.api.url + path,
        data=body,
        headers={"Authorization": running.api.key, **headers},
        timeout=60,
    )


def test_a_payload_runs_to_completion_and_wait_answers_on_the_real_stack(stack):  # noqa: F811
    api = stack.api
    paths = requests.get(f"{api.url}/openapi.json", timeout=10).json()["paths"]
    assert "/process-instances/{partition}/{id}/attachments/{name}" in paths
    started = concord(
        stack,
        "POST",
        "/api/v1/process",
        payload({"config/settings.json": SETTINGS}),
        **{"Content-Type": "application/octet-stream"},
    )
    assert started.status_code == 200, started.text
    instance_id = started.json()["instanceId"]
    assert concord(stack, "GET", f"/api/v1/process/{instance_id}").json()["status"] in ("RUNNING", "ENQUEUED")

    waited: dict[str, Any] = {}

    def wait() -> None:
        # 50 s: the whole flow below fits in it with a wide margin, and a waiter that was not woken
        # answers 408 (still running), not FINISHED.
        response = concord(stack, "GET", f"/api/v1/process/{instance_id}/wait?timeout=50000")
        waited.update(status=response.status_code, body=response.json())

    waiter = threading.Thread(target=wait, daemon=True)
    waiter.start()
    [job] = api.call("POST", "/jobs/lock", {"workerId": "w", "types": ["order-validator"], "timeout": LOCK_TIMEOUT_MS})[
        "jobs"
    ]
    files = f"/process-instances/{job['partition']}/{job['processInstanceId']}/attachments"
    downloaded = api.session.get(f"{api.url}{files}/config/settings.json", timeout=10)
    assert downloaded.status_code == 200 and downloaded.content == SETTINGS
    api.call("PATCH", f"/jobs/{job['partition']}/{job['id']}/complete", {"workerId": "w"})
    tasks = wait_for(
        lambda: api.call("POST", "/user-tasks/query", {"states": ["STARTED"]})["results"], what="the user task"
    )
    assert waiter.is_alive(), f"the wait answered while the instance ran: {waited}"
    api.call(
        "PATCH",
        f"/user-tasks/{tasks[0]['partition']}/{tasks[0]['id']}",
        {"workerId": "clerk", "revision": tasks[0]["revision"], "completed": True},
    )
    waiter.join(60)
    assert not waiter.is_alive(), "the wait never answered"
    assert waited["status"] == 200 and waited["body"]["status"] == "FINISHED", waited

    second = concord(
        stack, "POST", "/api/v1/process", payload(), **{"Content-Type": "application/octet-stream"}
    ).json()["instanceId"]
    stopped = concord(stack, "DELETE", f"/api/v1/process/{second}")
    assert stopped.status_code == 204
    assert concord(stack, "GET", f"/api/v1/process/{second}/wait?timeout=10000").json()["status"] == "CANCELLED"
