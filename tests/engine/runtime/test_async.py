"""Asynchronous continuations (``camunda:asyncBefore``/``asyncAfter``, ``flowable:async``): the
token stops, and an engine task run by a worker moves it on in a transaction of its own."""

from __future__ import annotations

from engine.commands import jobs as job_commands
from engine.commands import process_instances as pi_commands
from tests.scenario import WORKER, Instance

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
FLOWABLE = "http://flowable.org/bpmn"


def process(a: str = "", b: str = "") -> str:
    """start → service task a → service task b → end; ``a``/``b``: attributes of the tasks."""
    return (
        f'<definitions xmlns="{BPMN}" xmlns:camunda="{CAMUNDA}" xmlns:flowable="{FLOWABLE}" id="d">'
        '<process id="p" isExecutable="true"><startEvent id="s"/><sequenceFlow id="f0" sourceRef="s" targetRef="a"/>'
        f'<serviceTask id="a" camunda:type="external" camunda:topic="a" {a}/>'
        '<sequenceFlow id="f1" sourceRef="a" targetRef="b"/>'
        f'<serviceTask id="b" camunda:type="external" camunda:topic="b" {b}/>'
        '<sequenceFlow id="f2" sourceRef="b" targetRef="e"/><endEvent id="e"/></process></definitions>'
    )


def create(scenario, xml: str) -> Instance:
    """Create an instance and run only its start task."""
    process = scenario.deploy(xml, "p")
    cmd = pi_commands.CreateProcessInstance(bpmn_process_id="p", version=process.version, worker_id=WORKER)
    created = scenario.db.run(pi_commands.create_process_instance, cmd, scenario.policy)
    instance = Instance(scenario, created.partition, created.id)
    scenario.execute_due(partition=created.partition, process_instance_id=created.id, type="START_PROCESS_INSTANCE")
    return instance


def pending_continuations(instance: Instance) -> list[str]:
    return [t.bpmn_element_id or "" for t in instance.tasks(("CREATED",)) if t.type == "CONTINUE_EXECUTION"]


def complete_only(instance: Instance, bpmn_element_id: str) -> None:
    """Complete the job at an element without running the tasks the completion creates."""
    job = instance.lock_job(bpmn_element_id)
    cmd = job_commands.CompleteJob(worker_id=WORKER)
    instance.db.run(job_commands.complete_job, job.partition, job.id, cmd, instance.scenario.policy)


def test_async_before_stops_the_token_until_a_worker_enters_the_element(scenario):
    instance = create(scenario, process(a='camunda:asyncBefore="true"'))
    assert ("a", "CREATED") in instance.states()
    assert instance.jobs() == []
    assert pending_continuations(instance) == ["a"]
    instance.execute_tasks()
    instance.is_waiting_at("a")
    assert [j.bpmn_element_id for j in instance.jobs()] == ["a"]
    instance.complete_job("a")
    instance.complete_job("b")
    instance.is_completed()


def test_async_after_commits_the_completion_and_the_next_element_waits_for_a_worker(scenario):
    instance = create(scenario, process(a='camunda:asyncAfter="true"'))
    complete_only(instance, "a")
    assert ("a", "COMPLETED") in instance.states() and ("b", "CREATED") in instance.states()
    assert [j.state for j in instance.jobs()] == ["DONE"]
    assert pending_continuations(instance) == ["b"]
    instance.execute_tasks()
    instance.is_waiting_at("b")
    instance.complete_job("b")
    instance.is_completed()


def test_flowable_async_and_camunda_async_are_async_before(scenario):
    for version, flag in (("1", 'flowable:async="true"'), ("2", 'camunda:async="true"')):
        process_ = scenario.deploy(process(b=flag), "p", version=version)
        instance = scenario.start(process_)
        complete_only(instance, "a")
        assert ("b", "CREATED") in instance.states()
        assert pending_continuations(instance) == ["b"]
        instance.execute_tasks()
        instance.is_waiting_at("b")


def test_a_continuation_of_a_canceled_instance_does_nothing(scenario):
    instance = create(scenario, process(a='camunda:asyncBefore="true"'))
    instance.cancel()
    instance.execute_tasks()
    assert instance.jobs() == []
    assert pending_continuations(instance) == []
