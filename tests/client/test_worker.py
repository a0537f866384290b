"""JobWorker against a running Baton: handlers complete jobs, failures become retries and
incidents, BPMN errors travel as error codes, and a stop releases what was never started."""

from __future__ import annotations

import json
import threading

import pytest

from client import BatonClient, BpmnError, Completion, EscalationError, Job, JobWorker
from tests.client.conftest import record_requests, service_tasks_model, unique, wait_for, wait_state
from tests.conftest import conformance_xml
from tests.waiting import DEADLINE, LOCK_TIMEOUT_MS

pytestmark = pytest.mark.e2e


def fast_worker(baton: BatonClient, **options) -> JobWorker:
    """A worker with short polls, so that stopping it is quick."""
    options.setdefault("poll_timeout_ms", 1000)
    return JobWorker(baton, **options)


def test_the_worker_completes_every_job_with_the_handlers_variables(baton, deploy):
    reserve, charge = unique("reserve"), unique("charge")
    process_id = deploy([reserve, charge])
    worker = fast_worker(baton, concurrency=4)
    seen: list[int] = []

    @worker.job(reserve)
    def reserve_stock(job: Job) -> dict:
        return {"reserved": job.variables()["orderId"]}

    @worker.job(charge)
    def charge_card(job: Job) -> dict:
        seen.append(job.variables(["orderId"])["orderId"])
        return {"charged": True}

    instances = [baton.process_instances.start(process_id, variables={"orderId": n}) for n in range(30)]
    with worker:
        for instance in instances:
            wait_state(baton, instance, "COMPLETED")
    assert worker.completed == 60 and worker.failed == 0
    assert sorted(seen) == list(range(30))
    assert baton.variables.get_process(instances[7]) == {"orderId": 7, "reserved": 7, "charged": True}


def test_element_handlers_and_gateway_decisions(baton):
    """``@worker.element`` matches the BPMN element id; a handler of the job kind
    EVALUATE_EXCLUSIVE_GATEWAY decides a gateway with a Completion."""
    baton.processes.deploy(conformance_xml("gateway/exclusive.bpmn"), "exclusiveTest", "1")
    instance = baton.process_instances.start("exclusiveTest")
    worker = fast_worker(baton, concurrency=2)
    decisions: list[str] = []

    @worker.element("fork")
    def fork(job: Job) -> Completion:
        decisions.append(job.type or "")
        return Completion(exclusive_gateway_decision="join")  # the target element of the flow to take

    @worker.job("EVALUATE_EXCLUSIVE_GATEWAY")
    def join(job: Job) -> Completion:
        decisions.append(f"join:{job.bpmn_element_id}")
        return Completion(exclusive_gateway_decision="endEvent")

    with worker:
        wait_state(baton, instance, "COMPLETED")
    assert decisions[0] == "EVALUATE_EXCLUSIVE_GATEWAY"
    taken = {e.bpmn_element_id for e in baton.process_instances.element_instances(instance)}
    assert {"fork", "join", "endEvent"} <= taken


def test_an_exception_fails_the_job_into_retries_then_an_incident(baton, deploy):
    job_type = unique("flaky")
    process_id = deploy([job_type])
    instance = baton.process_instances.start(process_id)
    worker = fast_worker(baton, concurrency=1, retry_limit=1, retry_timer="PT0S")
    calls: list[int] = []

    @worker.job(job_type)
    def broken(job: Job) -> None:
        calls.append(job.id)
        raise RuntimeError("card service down")

    with worker:
        incidents = wait_for(
            lambda: baton.incidents.query(partition=instance.partition, process_instance_id=instance.id)
        )
    assert len(calls) == 2 and worker.failed == 2  # the first try and one retry
    jobs = {j.id: j for j in baton.jobs.query(partition=instance.partition, process_instance_id=instance.id)}
    assert [jobs[i].state for i in calls] == ["CAUSED_RETRY", "CAUSED_INCIDENT"]
    assert all(jobs[i].error == "RuntimeError: card service down" for i in calls)
    assert incidents[0].job_id == calls[1] and incidents[0].open

    fixed = fast_worker(baton, concurrency=1)
    fixed.job(job_type)(lambda job: {"fixed": True})
    baton.incidents.resolve(incidents[0])
    with fixed:
        wait_state(baton, instance, "COMPLETED")
    assert baton.variables.get_process(instance) == {"fixed": True}


def test_a_bpmn_error_completes_the_job_with_its_error_code(stack):
    baton = BatonClient(stack.api.url, stack.api.key, worker_id="bpmn-error", retries=0)
    sent = record_requests(baton)
    job_type = unique("risky")
    process_id = unique("errors")
    baton.processes.deploy(service_tasks_model(process_id, [job_type], error_code="CARD_DECLINED"), process_id, "1")
    instance = baton.process_instances.start(process_id)
    worker = fast_worker(baton, concurrency=1)

    @worker.job(job_type)
    def declined(job: Job) -> None:
        raise BpmnError("CARD_DECLINED", "insufficient funds", variables={"reason": "funds"})

    with worker:
        completions = wait_for(lambda: [r for r in sent.sent if r.url.endswith("/complete")])
        wait_state(baton, instance, "COMPLETED")
    body = json.loads(completions[0].body)
    assert body["completion"] == {"errorCode": "CARD_DECLINED"}
    assert body["processVariables"] == [{"name": "reason", "data": {"encoding": "json", "value": '"funds"'}}]
    assert "error" not in body  # a BPMN error is a completion, not a technical failure
    job = baton.jobs.query(partition=instance.partition, process_instance_id=instance.id)[0]
    assert job.state == "DONE" and job.error is None
    taken = {e.bpmn_element_id for e in baton.process_instances.element_instances(instance)}
    assert "caught" in taken and "end" not in taken
    assert worker.completed == 1
    baton.close()


def test_an_escalation_completes_the_job_with_its_escalation_code(baton, deploy):
    job_type = unique("escalate")
    process_id = deploy([job_type], escalation_code="LATE")
    instance = baton.process_instances.start(process_id)
    worker = fast_worker(baton, concurrency=1)

    @worker.job(job_type)
    def late(job: Job) -> None:
        raise EscalationError("LATE", variables={"late": True})

    with worker:
        wait_state(baton, instance, "COMPLETED")
    taken = {e.bpmn_element_id for e in baton.process_instances.element_instances(instance)}
    assert "caught" in taken and "end" not in taken
    assert baton.variables.get_process(instance) == {"late": True}


def stop_in_background(worker: JobWorker) -> threading.Thread:
    """Call ``worker.stop()`` in a thread and return once the stop has begun (no new lock
    requests from then on); the thread ends when the stop is complete."""
    stopping = threading.Thread(target=worker.stop)
    stopping.start()
    # JobWorker has no public "stopping" flag; its stop event is what stop() sets first.
    wait_for(worker._stop.is_set, what="the worker's stop to begin")
    return stopping


def test_stop_unlocks_jobs_that_were_locked_but_never_started(stack, deploy):
    job_type = unique("late")
    process_id = deploy([job_type])
    baton = BatonClient(stack.api.url, stack.api.key, worker_id="stopping", retries=1, backoff=0.05)
    sent = record_requests(baton)
    # The longest poll there is: the job created after stop() must be what ends it.
    worker = JobWorker(baton, concurrency=2, poll_timeout_ms=60_000, grace_period=DEADLINE)
    calls: list[int] = []
    worker.job(job_type)(lambda job: calls.append(job.id))
    worker.start()
    wait_for(lambda: [r for r in sent.sent if r.url.endswith("/jobs/lock")], what="the worker's long poll")
    stopping = stop_in_background(worker)
    instance = baton.process_instances.start(process_id)  # its job reaches the poll after stop()
    stopping.join(DEADLINE)
    assert not stopping.is_alive() and worker.wait(0)
    assert calls == []
    job = wait_for(lambda: baton.jobs.query(partition=instance.partition, process_instance_id=instance.id))[0]
    assert job.state == "CREATED" and job.locked_by is None
    assert baton.jobs.lock("someone-else", types=[job_type], timeout_ms=LOCK_TIMEOUT_MS)[0].id == job.id
    baton.close()


def test_a_running_handler_finishes_during_a_graceful_stop(baton, deploy):
    job_type = unique("slow")
    process_id = deploy([job_type])
    instance = baton.process_instances.start(process_id)
    worker = fast_worker(baton, concurrency=1, grace_period=DEADLINE)
    started, release = threading.Event(), threading.Event()

    @worker.job(job_type)
    def slow(job: Job) -> dict:
        started.set()
        assert release.wait(DEADLINE), "the test never released the handler"
        return {"slow": "done"}

    worker.start()
    assert started.wait(DEADLINE)
    stopping = stop_in_background(worker)
    assert stopping.is_alive() and worker.completed == 0  # the stop waits for the running handler
    release.set()
    stopping.join(DEADLINE)
    assert not stopping.is_alive()
    assert worker.completed == 1
    wait_state(baton, instance, "COMPLETED")
