"""The typed client against a running Baton: every resource, and errors as exceptions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from client import (
    DELETE,
    BatonClient,
    Completion,
    Conflict,
    InvalidRequest,
    NotFound,
    Unauthorized,
    VariableData,
)
from tests.client.conftest import record_requests, service_tasks_model, unique, wait_for, wait_state
from tests.conftest import conformance_xml
from tests.waiting import LOCK_TIMEOUT_MS

pytestmark = pytest.mark.e2e


def lock_one(baton: BatonClient, job_type: str, worker_id: str = "client-tests"):
    jobs = baton.jobs.lock(worker_id, types=[job_type], timeout_ms=LOCK_TIMEOUT_MS)
    assert len(jobs) == 1, jobs
    return jobs[0]


# -- processes ------------------------------------------------------------------------------------


def test_deploy_returns_a_typed_process_and_identical_xml_again_returns_it(baton):
    process_id = unique("deploy")
    xml = service_tasks_model(process_id, ["a"])
    first = baton.processes.deploy(xml, process_id, "1", tags={"team": "orders"})
    again = baton.processes.deploy(xml, process_id, "1", tags={"team": "orders"})
    assert first.id == again.id and first.bpmn_process_id == process_id and first.version == "1"
    assert first.tags == {"team": "orders"}
    assert isinstance(first.created_at, datetime) and first.created_at.tzinfo is not None
    assert first.raw["bpmnProcessId"] == process_id


def test_deploying_different_xml_as_an_existing_version_is_a_conflict(baton):
    process_id = unique("conflict")
    baton.processes.deploy(service_tasks_model(process_id, ["a"]), process_id, "1")
    with pytest.raises(Conflict) as caught:
        baton.processes.deploy(service_tasks_model(process_id, ["a", "b"]), process_id, "1")
    assert caught.value.status == 409 and caught.value.type == "CONFLICT"


def test_deploy_file_deploys_every_executable_process(baton, tmp_path):
    first, second, hidden = unique("one"), unique("two"), unique("hidden")
    xml = f"""<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
      <process id="{first}" isExecutable="true"><startEvent id="s1" /></process>
      <process id="{hidden}" isExecutable="false"><startEvent id="s2" /></process>
      <process id="{second}" isExecutable="true"><startEvent id="s3" /></process>
    </definitions>"""
    path = tmp_path / "two.bpmn"
    path.write_text(xml)
    deployed = baton.processes.deploy_file(path, "7")
    assert [p.bpmn_process_id for p in deployed] == [first, second]
    assert all(p.version == "7" for p in deployed)
    assert baton.processes.query(bpmn_process_id=hidden) == []


def test_processes_can_be_queried_with_their_elements_and_xml(baton):
    process_id = unique("query")
    xml = service_tasks_model(process_id, ["a"])
    process = baton.processes.deploy(xml, process_id, "2")
    assert [p.id for p in baton.processes.query(bpmn_process_id=process_id, version="2")] == [process.id]
    assert baton.processes.get(process.id).bpmn_process_id == process_id
    assert baton.processes.bpmn_xml(process.id) == xml
    elements = {e.bpmn_element_id: e for e in baton.processes.query_elements(process_id=process.id)}
    assert elements["task0"].bpmn_element_type == "SERVICE_TASK"
    assert elements[process_id].bpmn_element_type == "PROCESS"


# -- process instances ----------------------------------------------------------------------------


def test_start_sends_variables_tags_and_correlation_key(baton, deploy):
    process_id = deploy(["a"])
    instance = baton.process_instances.start(
        process_id, variables={"total": 120, "items": ["x", "y"]}, correlation_key="order-1", tags={"shop": "eu"}
    )
    assert isinstance(instance.partition, date) and instance.id > 0
    assert instance.bpmn_process_id == process_id and instance.version == "1"
    assert instance.correlation_key == "order-1" and instance.tags == {"shop": "eu"}
    started = wait_state(baton, instance, "STARTED")
    assert started.started_at is not None
    assert baton.variables.get_process(instance) == {"total": 120, "items": ["x", "y"]}
    found = baton.process_instances.query(correlation_key="order-1", bpmn_process_id=process_id, states="STARTED")
    assert [i.id for i in found] == [instance.id]


def test_an_instance_created_without_start_starts_later(baton, deploy):
    process_id = deploy(["a"])
    instance = baton.process_instances.start(process_id, start=False)
    assert instance.state == "CREATED"
    baton.process_instances.start_created(instance)
    assert wait_state(baton, instance, "STARTED").state == "STARTED"


def test_suspend_resume_and_cancel_with_a_reason(baton, deploy):
    process_id = deploy(["a"])
    instance = wait_state(baton, baton.process_instances.start(process_id), "STARTED")
    baton.process_instances.suspend(instance)
    assert baton.process_instances.get(instance).state == "SUSPENDED"
    baton.process_instances.resume(instance)
    assert baton.process_instances.get(instance).state == "STARTED"
    canceled = baton.process_instances.cancel(instance, reason="customer withdrew")
    assert canceled.state == "CANCELED" and canceled.end_reason == "customer withdrew"
    assert canceled.ended and canceled.ended_at is not None


def test_element_instances_form_the_token_tree(baton, deploy):
    job_type = unique("tree")
    process_id = deploy([job_type])
    instance = wait_state(baton, baton.process_instances.start(process_id), "STARTED")
    tree = wait_for(lambda: [e for e in baton.process_instances.element_instances(instance) if e.bpmn_element_id])
    by_element = {e.bpmn_element_id: e for e in tree}
    root = by_element[process_id]
    assert root.parent_id is None and root.bpmn_element_type == "PROCESS"
    assert by_element["task0"].parent_id == root.id and by_element["task0"].state == "STARTED"
    assert by_element["start"].state == "COMPLETED"
    assert all(e.process_instance_id == instance.id and e.partition == instance.partition for e in tree)


# -- variables ------------------------------------------------------------------------------------


def test_variables_are_encoded_decoded_and_deleted(baton, deploy):
    job_type = unique("vars")
    process_id = deploy([job_type])
    instance = baton.process_instances.start(process_id, variables={"keep": 1, "drop": 2})
    wait_state(baton, instance, "STARTED")
    baton.variables.set_process(
        instance, {"n": 3.5, "obj": {"a": [1, None]}, "note": VariableData.text("plain"), "drop": DELETE}
    )
    values = baton.variables.get_process(instance)
    assert values == {"keep": 1, "n": 3.5, "obj": {"a": [1, None]}, "note": "plain"}
    assert baton.variables.get_process(instance, ["n"]) == {"n": 3.5}
    raw = baton.variables.get_process(instance, ["note"], decode=False)
    assert raw["note"] == VariableData("text", "plain")
    job = lock_one(baton, job_type)
    baton.variables.set_element(job.element_instance, {"local": "here"})
    assert baton.variables.get_element(job.element_instance, exclude_parents=True) == {"local": "here"}
    assert baton.variables.get_element(job.element_instance) == {"local": "here"}  # no process scope
    names = {v.name for v in baton.variables.query(partition=instance.partition, process_instance_id=instance.id)}
    assert {"keep", "n", "obj", "note", "local"} <= names


# -- jobs and incidents ---------------------------------------------------------------------------


def test_a_locked_job_reads_variables_and_completes_with_new_ones(baton, deploy):
    job_type = unique("job")
    process_id = deploy([job_type])
    instance = baton.process_instances.start(process_id, variables={"total": 99})
    job = lock_one(baton, job_type)
    assert job.state == "LOCKED" and job.job_type == job_type and job.type == "EXECUTE"
    assert job.locked_by == "client-tests" and job.lock_expires_at > job.locked_at
    assert (job.partition, job.process_instance_id) == (instance.partition, instance.id)
    assert job.variables() == {"total": 99}
    done = baton.jobs.complete(job, variables={"approved": True})
    assert done.state == "DONE" and done.completed_at is not None
    finished = wait_state(baton, instance, "COMPLETED")
    assert finished.ended
    assert baton.variables.get_process(instance) == {"total": 99, "approved": True}
    assert [j.state for j in baton.jobs.query(partition=job.partition, id=job.id)] == ["DONE"]


def test_completing_a_job_twice_is_a_conflict(baton, deploy):
    job_type = unique("twice")
    process_id = deploy([job_type])
    baton.process_instances.start(process_id)
    job = lock_one(baton, job_type)
    baton.jobs.complete(job)
    with pytest.raises(Conflict):
        baton.jobs.complete(job)


def test_unlock_releases_a_locked_job(baton, deploy):
    job_type = unique("unlock")
    process_id = deploy([job_type])
    baton.process_instances.start(process_id)
    job = lock_one(baton, job_type, worker_id="unlocker")
    assert baton.jobs.unlock("unlocker", job=job) == 1
    again = baton.jobs.query(partition=job.partition, id=job.id)[0]
    assert again.state == "CREATED" and again.locked_by is None
    assert lock_one(baton, job_type).id == job.id


def test_a_failed_job_without_retries_is_an_incident_and_resolving_retries_it(baton, deploy):
    job_type = unique("fail")
    process_id = deploy([job_type])
    instance = baton.process_instances.start(process_id)
    job = lock_one(baton, job_type)
    failed = baton.jobs.fail(job, error="card service down", retry_limit=0)
    assert failed.state == "CAUSED_INCIDENT" and failed.error == "card service down"
    incidents = baton.incidents.query(partition=instance.partition, process_instance_id=instance.id, resolved=False)
    assert len(incidents) == 1 and incidents[0].open and incidents[0].job_id == job.id
    baton.incidents.resolve(incidents[0])
    assert not baton.incidents.query(partition=instance.partition, id=incidents[0].id)[0].open
    retry = lock_one(baton, job_type)
    assert retry.id != job.id and retry.retry_count == 0
    baton.jobs.complete(retry, completion=Completion())
    wait_state(baton, instance, "COMPLETED")


# -- engine tasks and time ------------------------------------------------------------------------


def test_engine_tasks_can_be_queried_and_executed(baton, deploy):
    process_id = deploy([unique("task")])
    instance = baton.process_instances.start(process_id)
    wait_state(baton, instance, "STARTED")
    tasks = baton.tasks.query(partition=instance.partition, process_instance_id=instance.id)
    assert [t.type for t in tasks] == ["START_PROCESS_INSTANCE"] and tasks[0].state == "DONE"
    executed = baton.tasks.execute(partition=instance.partition, process_instance_id=instance.id)
    assert executed.locked == executed.completed == 0  # nothing due: the Celery worker did it


# -- errors ---------------------------------------------------------------------------------------


def test_not_found_carries_the_problem_detail(baton):
    with pytest.raises(NotFound) as caught:
        baton.process_instances.start(unique("missing"))
    problem = caught.value
    assert problem.status == 404 and problem.type == "NOT_FOUND"
    assert "could not be found" in problem.detail and problem.title
    with pytest.raises(NotFound):
        baton.process_instances.get((date.today(), 2**31 - 1))


def test_an_invalid_request_lists_every_pointer(baton, deploy):
    process_id = deploy(["a"])
    with pytest.raises(InvalidRequest) as caught:
        baton.process_instances.start(
            process_id, variables={"a,b": 1, "ok": VariableData("", "1")}, correlation_key="k" * 300
        )
    problem = caught.value
    assert problem.status == 400 and problem.type == "HTTP_REQUEST_BODY"
    pointers = {cause.pointer for cause in problem.errors}
    assert {"#/variables/a,b", "#/correlationKey"} <= pointers, pointers
    assert all(cause.detail for cause in problem.errors)


def test_an_invalid_model_names_the_offending_element(baton):
    process_id = unique("invalid")
    xml = f"""<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
      <process id="{process_id}" isExecutable="true">
        <startEvent id="start"><outgoing>f1</outgoing></startEvent>
        <sequenceFlow id="f1" sourceRef="start" targetRef="nowhere" />
      </process></definitions>"""
    with pytest.raises(InvalidRequest) as caught:
        baton.processes.deploy(xml, process_id, "1")
    assert caught.value.status in (400, 422)
    assert caught.value.errors and any("f1" in (c.pointer or "") + (c.detail or "") for c in caught.value.errors)


def test_4xx_answers_are_never_retried(stack):
    baton = BatonClient(stack.api.url, stack.api.key, retries=3, backoff=0.01)
    sent = record_requests(baton)
    with pytest.raises(NotFound):
        baton.processes.bpmn_xml(999_999)
    assert len(sent.sent) == 1


def test_an_unknown_api_key_is_unauthorized(stack):
    with BatonClient(stack.api.url, "not-a-key") as stranger, pytest.raises(Unauthorized) as caught:
        stranger.processes.query()
    assert caught.value.status == 401


def test_ready_reports_readiness(baton):
    assert baton.ready()


def test_conformance_model_runs_with_an_element_handler_free_client(baton):
    """A go-bpmn model (no namespace, no job types) deploys and runs through the client."""
    process_id = "serviceTest"
    baton.processes.deploy(conformance_xml("task/service.bpmn"), process_id, "1")
    instance = baton.process_instances.start(process_id)
    jobs = wait_for(
        lambda: baton.jobs.lock(
            "conformance",
            bpmn_element_ids=["serviceTask"],
            partition=instance.partition,
            process_instance_id=instance.id,
            timeout_ms=2000,
        )
    )
    baton.jobs.complete(jobs[0])
    wait_state(baton, instance, "COMPLETED")


# Last in this module: the engine time it moves is shared by the module's stack.
def test_engine_time_moves_forward_only(baton):
    before = baton.time.get()
    assert before.tzinfo is not None and abs(before - datetime.now(UTC)) < timedelta(minutes=5)
    after = baton.time.set(duration="PT1M")
    assert after - before >= timedelta(minutes=1)
    with pytest.raises(Conflict):
        baton.time.set(time=before)
