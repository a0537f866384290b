"""The Solvexia facade against the real processes (gunicorn API, Celery worker, beat): a run
created natively without starting, started through the facade, worked by a job worker and a
user-task completion, observed through the facade until Finished."""

from __future__ import annotations

from typing import Any

import pytest

from api import compat
from tests.api.compat.solvexia.test_solvexia import MONTH_END
from tests.e2e.conftest import stack  # noqa: F401 - the real processes
from tests.waiting import LOCK_TIMEOUT_MS, wait_for

pytestmark = pytest.mark.e2e


def test_the_solvexia_facade_is_registered():
    assert "solvexia" in compat.FACADES


def curl(running: Any, method: str, path: str, **kwargs: Any) -> Any:
    """As the seed's curl lines: ``Authorization: Bearer <key>``."""
    headers = {"Authorization": f"Bearer {running.api.key}"}
    response = running.api.session.request(method, f"{running.api.url}{path}", headers=headers, timeout=30, **kwargs)
    assert response.status_code == 200, (method, path, response.status_code, response.text)
    return response.json()


def status_until(running: Any, run: str, wanted: str) -> dict[str, Any]:
    return wait_for(
        lambda: curl(running, "GET", f"/v1/processruns/{run}/runstatus"),
        lambda status: status["status"] == wanted,
        what=f"run {run} {wanted}",
    )


def work(running: Any, job_type: str) -> None:
    """A job worker: long-poll for one job of ``job_type`` and complete it."""
    body = {"workerId": "e2e", "types": [job_type], "timeout": LOCK_TIMEOUT_MS}
    jobs = running.api.call("POST", "/jobs/lock", body)["jobs"]
    assert len(jobs) == 1, jobs
    running.api.call("PATCH", f"/jobs/{jobs[0]['partition']}/{jobs[0]['id']}/complete", {"workerId": "e2e"})


def test_a_run_started_through_solvexia_finishes(stack: Any) -> None:  # noqa: F811 - the fixture
    stack.api.deploy(MONTH_END, "monthEnd")
    instance = stack.api.start("monthEnd", start=False, tags={"description": "e2e"})
    run = f"pr-{instance['partition'].replace('-', '')}-{instance['id']}"
    assert curl(stack, "GET", f"/v1/processruns/{run}")["description"] == "e2e"
    started = curl(stack, "POST", f"/v1/processruns/{run}/start")
    assert started["id"] == run and started["status"] in ("Scheduled", "Running")
    status_until(stack, run, "Running")
    work(stack, "load")
    work(stack, "match")
    task = wait_for(
        lambda: stack.api.call("POST", "/user-tasks/query", {"states": ["STARTED"]})["results"], what="the user task"
    )[0]
    stack.api.call(
        "PATCH",
        f"/user-tasks/{task['partition']}/{task['id']}",
        {"workerId": "ann", "revision": task["revision"], "completed": True},
    )
    finished = status_until(stack, run, "Finished")
    assert finished["dateFinished"] and finished["runDurationInSeconds"] >= 0
    steps = curl(stack, "GET", f"/v1/processruns/{run}/steps")
    assert [s["stepOrder"] for s in steps] == ["1.1", "1.2", "1.2.1", "1.3"]
    for step in steps:
        assert curl(stack, "GET", f"/v1/processruns/{run}/steps/{step['id']}/runstatus")["status"] == "Success"
