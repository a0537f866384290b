"""Scenario 11: a hypothesis state machine drives jobs and instances through the REST API —
lock, complete, fail, expire (engine time moves past the locks), unlock, cancel, suspend,
resume, resolve — and after every step the model and the database agree.

No worker runs (the API's messages wait unread in the test's private Redis; ``baton api``
needs a broker); engine tasks are run with ``POST /tasks/execute`` after each command, so every
step is deterministic.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from tests.e2e.conftest import Api
from tests.faults import models
from tests.faults.cluster import Cluster, size
from tests.invariants import assert_consistent

pytestmark = [pytest.mark.e2e, pytest.mark.faults]

LOCK_MS = 60_000
WORKERS = st.sampled_from(["w1", "w2"])


@dataclass
class JobModel:
    state: str = "CREATED"  # CREATED, LOCKED, CANCELED (held by a worker when canceled)
    locked_by: str | None = None
    expires_at: float = 0.0  # engine seconds
    retry_count: int = 0


@dataclass
class InstanceModel:
    partition: str
    id: int
    state: str = "STARTED"
    job: JobModel | None = None
    done_jobs: int = 0
    retries: int = 0
    incidents_open: int = 0
    continue_pending: bool = False  # a job completed while suspended


class JobMachine(RuleBasedStateMachine):
    api: Api
    steps = 0

    def __init__(self) -> None:
        super().__init__()
        self.now = 0.0  # seconds the engine time moved during this example
        self.instances: list[InstanceModel] = []

    instances_bundle = Bundle("instances")

    # --- helpers ---------------------------------------------------------------------------

    def run_tasks(self) -> None:
        while self.api.call("POST", "/tasks/execute", {"limit": 100})["locked"]:
            pass

    def open_job(self, model: InstanceModel) -> dict[str, Any] | None:
        jobs = self.api.call(
            "POST",
            "/jobs/query",
            {"partition": model.partition, "processInstanceId": model.id, "states": ["CREATED", "LOCKED"]},
        )["results"]
        assert len(jobs) <= 1, jobs
        return jobs[0] if jobs else None

    def last_job(self, model: InstanceModel) -> dict[str, Any]:
        jobs = self.api.call("POST", "/jobs/query", {"partition": model.partition, "processInstanceId": model.id})[
            "results"
        ]
        return max(jobs, key=lambda j: j["id"])

    def holder(self, model: InstanceModel, worker: str, as_holder: bool) -> str:
        """The worker that holds the instance's job lock (when asked and there is one), else ``worker``."""
        if as_holder and model.job is not None and model.job.locked_by:
            return model.job.locked_by
        return worker

    def lockable(self, job: JobModel | None) -> bool:
        return job is not None and (job.state == "CREATED" or (job.state == "LOCKED" and job.expires_at <= self.now))

    # --- rules -----------------------------------------------------------------------------

    @rule(target=instances_bundle)
    def create(self) -> InstanceModel:
        created = self.api.start("service")
        self.run_tasks()
        model = InstanceModel(created["partition"], created["id"], job=JobModel())
        self.instances.append(model)
        return model

    @rule(model=instances_bundle, worker=WORKERS)
    def lock(self, model: InstanceModel, worker: str) -> None:
        body = {
            "workerId": worker,
            "partition": model.partition,
            "processInstanceId": model.id,
            "limit": 1,
            "lockDuration": LOCK_MS,
        }
        jobs = self.api.call("POST", "/jobs/lock", body)["jobs"]
        if model.state == "STARTED" and self.lockable(model.job):
            assert len(jobs) == 1, (model, jobs)
            assert model.job is not None
            model.job.state, model.job.locked_by, model.job.expires_at = "LOCKED", worker, self.now + LOCK_MS / 1000
        else:
            assert jobs == [], (model, jobs)

    def _finish(self, model: InstanceModel, worker: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        job = self.open_job(model) or self.last_job(model)
        response = self.api.session.patch(
            f"{self.api.url}/jobs/{job['partition']}/{job['id']}/complete",
            json={"workerId": worker, **body},
            timeout=30,
        )
        return response.status_code, response.json()

    def _allowed(self, model: InstanceModel, worker: str) -> bool | None:
        """True: the completion applies; None: 200 without effect; False: 409."""
        job = model.job
        if job is None:
            return False
        if job.state == "CANCELED":
            return None if job.locked_by == worker else False
        return job.state == "LOCKED" and job.locked_by == worker

    @rule(model=instances_bundle, worker=WORKERS, as_holder=st.booleans())
    def complete(self, model: InstanceModel, worker: str, as_holder: bool) -> None:
        if model.job is None and model.done_jobs == 0 and model.retries == 0 and model.incidents_open == 0:
            return
        worker = self.holder(model, worker, as_holder)
        allowed = self._allowed(model, worker)
        status, answer = self._finish(model, worker, {})
        if allowed is False:
            assert status == 409 and answer["type"] == "CONFLICT", (model, status, answer)
            return
        assert status == 200, (model, status, answer)
        if allowed is None:
            return
        model.job, model.done_jobs = None, model.done_jobs + 1
        if model.state == "SUSPENDED":
            model.continue_pending = True
        else:
            model.state = "COMPLETED"
        self.run_tasks()

    @rule(model=instances_bundle, worker=WORKERS, as_holder=st.booleans(), retry_limit=st.integers(0, 2))
    def fail(self, model: InstanceModel, worker: str, as_holder: bool, retry_limit: int) -> None:
        if model.job is None and model.done_jobs == 0 and model.retries == 0 and model.incidents_open == 0:
            return
        worker = self.holder(model, worker, as_holder)
        allowed = self._allowed(model, worker)
        status, answer = self._finish(model, worker, {"error": "failed", "retryLimit": retry_limit})
        if allowed is False:
            assert status == 409, (model, status, answer)
            return
        assert status == 200, (model, status, answer)
        if allowed is None:
            return
        assert model.job is not None
        if retry_limit > model.job.retry_count:
            model.retries += 1
            model.job = JobModel(retry_count=model.job.retry_count + 1)
        else:
            model.job = None
            model.incidents_open += 1
        self.run_tasks()

    @rule(model=instances_bundle, worker=WORKERS, failing=st.booleans(), retry_limit=st.integers(0, 2))
    def work(self, model: InstanceModel, worker: str, failing: bool, retry_limit: int) -> None:
        """What a job worker does: lock, then complete or fail what it got."""
        self.lock(model, worker)
        if model.job is not None and model.job.state == "LOCKED" and model.job.locked_by == worker:
            if failing:
                self.fail(model, worker, True, retry_limit)
            else:
                self.complete(model, worker, True)

    @rule()
    def expire(self) -> None:
        self.api.call("PATCH", "/time", {"timeDuration": f"PT{LOCK_MS // 1000 + 1}S"})
        self.now += LOCK_MS / 1000 + 1
        self.run_tasks()

    @rule(model=instances_bundle, worker=WORKERS, as_holder=st.booleans())
    def unlock(self, model: InstanceModel, worker: str, as_holder: bool) -> None:
        worker = self.holder(model, worker, as_holder)
        job = self.open_job(model)
        if job is None:
            return
        count = self.api.call(
            "POST", "/jobs/unlock", {"workerId": worker, "partition": job["partition"], "id": job["id"]}
        )["count"]
        released = model.job is not None and model.job.state == "LOCKED" and model.job.locked_by == worker
        assert count == (1 if released else 0), (model, count)
        if released:
            model.job = JobModel(retry_count=model.job.retry_count)  # type: ignore[union-attr]

    @rule(model=instances_bundle)
    def cancel(self, model: InstanceModel) -> None:
        path = f"/process-instances/{model.partition}/{model.id}/cancel"
        if model.state in ("COMPLETED", "CANCELED"):
            self.api.call("PATCH", path, {"workerId": "op"}, expect=409)
            return
        self.api.call("PATCH", path, {"workerId": "op"})
        model.state, model.continue_pending = "CANCELED", False
        if model.job is not None:
            model.job.state = "CANCELED"
        self.run_tasks()

    @rule(model=instances_bundle)
    def suspend(self, model: InstanceModel) -> None:
        path = f"/process-instances/{model.partition}/{model.id}/suspend"
        if model.state != "STARTED":
            self.api.call("PATCH", path, {"workerId": "op"}, expect=409)
            return
        self.api.call("PATCH", path, {"workerId": "op"})
        model.state = "SUSPENDED"

    @rule(model=instances_bundle)
    def resume(self, model: InstanceModel) -> None:
        path = f"/process-instances/{model.partition}/{model.id}/resume"
        if model.state != "SUSPENDED":
            self.api.call("PATCH", path, {"workerId": "op"}, expect=409)
            return
        self.api.call("PATCH", path, {"workerId": "op"})
        model.state = "STARTED"
        self.run_tasks()
        if model.continue_pending:
            model.state, model.continue_pending = "COMPLETED", False

    @rule(model=instances_bundle)
    def resolve(self, model: InstanceModel) -> None:
        incidents = self.api.call(
            "POST",
            "/incidents/query",
            {"partition": model.partition, "processInstanceId": model.id, "resolved": False},
        )["results"]
        assert len(incidents) == model.incidents_open, (model, incidents)
        for incident in incidents:
            self.api.call("PATCH", f"/incidents/{incident['partition']}/{incident['id']}/resolve", {"workerId": "op"})
            model.incidents_open -= 1
            if model.state not in ("CANCELED", "COMPLETED"):
                model.job = JobModel()
        self.run_tasks()

    # --- the model and the database agree ----------------------------------------------------

    @invariant()
    def agrees(self) -> None:
        JobMachine.steps += 1
        for model in self.instances:
            instance = self.api.instance({"partition": model.partition, "id": model.id})
            assert instance["state"] == model.state, (model, instance)
            jobs = self.api.call("POST", "/jobs/query", {"partition": model.partition, "processInstanceId": model.id})[
                "results"
            ]
            open_jobs = [j for j in jobs if j["state"] in ("CREATED", "LOCKED")]
            if model.job is None or model.job.state == "CANCELED":
                assert open_jobs == [], (model, jobs)
            else:
                assert len(open_jobs) == 1, (model, jobs)
                job = open_jobs[0]
                assert (job["state"], job.get("lockedBy"), job["retryCount"]) == (
                    model.job.state,
                    model.job.locked_by if model.job.state == "LOCKED" else None,
                    model.job.retry_count,
                ), (model, job)
            assert sum(j["state"] == "DONE" for j in jobs) == model.done_jobs, (model, jobs)
            assert sum(j["state"] == "CAUSED_RETRY" for j in jobs) == model.retries, (model, jobs)
            if model.state != "CANCELED":
                incidents = self.api.call(
                    "POST",
                    "/incidents/query",
                    {"partition": model.partition, "processInstanceId": model.id, "resolved": False},
                )["results"]
                assert len(incidents) == model.incidents_open, (model, incidents)


def test_the_rest_api_and_a_model_of_jobs_agree_after_every_step(baton: Cluster):
    examples = size(40, 1000)
    api = baton.start_api()  # and no worker: see the module's docstring
    api.deploy(models.service("service"), "service")
    JobMachine.api = api
    JobMachine.steps = 0
    started = time.monotonic()
    run_state_machine_as_test(
        JobMachine,
        settings=settings(
            max_examples=examples,
            stateful_step_count=15,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
            database=None,
        ),
    )
    elapsed = time.monotonic() - started
    instances = baton.scalar("SELECT count(*) FROM process_instance")
    jobs = dict(baton.rows("SELECT state, count(*) FROM job GROUP BY state"))
    assert_consistent(baton.database_url)
    print(
        f"\nscenario 11: {examples} examples, {JobMachine.steps} steps checked against the model, {instances} "
        f"instances (jobs by state {jobs}), in {elapsed:.0f}s: the model and the database agreed after every step"
    )
