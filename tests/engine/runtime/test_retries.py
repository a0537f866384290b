"""Failed jobs of tasks with a retry cycle (``camunda:failedJobRetryTimeCycle``): retried as the
cycle counts, each retry lockable only after its delay, unless the worker names its own timer."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.commands import jobs as job_commands
from tests.scenario import WORKER

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
FLOWABLE = "http://flowable.org/bpmn"


def process(cycle: str, *, prefix: str = "camunda") -> str:
    return (
        f'<definitions xmlns="{BPMN}" xmlns:camunda="{CAMUNDA}" xmlns:flowable="{FLOWABLE}" id="d">'
        '<process id="p" isExecutable="true"><startEvent id="s"/><sequenceFlow id="f0" sourceRef="s" targetRef="a"/>'
        '<serviceTask id="a" camunda:type="external" camunda:topic="work"><extensionElements>'
        f"<{prefix}:failedJobRetryTimeCycle>{cycle}</{prefix}:failedJobRetryTimeCycle>"
        '</extensionElements></serviceTask><sequenceFlow id="f1" sourceRef="a" targetRef="e"/><endEvent id="e"/>'
        "</process></definitions>"
    )


def can_lock(scenario, instance) -> bool:
    job = instance.job("a")
    locked = scenario.db.run(
        job_commands.lock_jobs,
        job_commands.LockJobs(worker_id=WORKER, partition=job.partition, id=job.id),
        default_lock_seconds=60,
    )
    if locked:
        scenario.db.run(job_commands.unlock_jobs, WORKER, job.partition, job.id)
    return bool(locked)


def test_r3_runs_the_job_three_times_each_retry_after_the_delay(scenario):
    instance = scenario.start(scenario.deploy(process("R3/PT10M"), "p"))
    assert instance.job("a").retries == 2
    for _ in range(2):
        failed = instance.complete_job("a", error="down")
        assert failed.state == "CAUSED_RETRY"
        retry = instance.job("a")
        assert retry.due_at - failed.completed_at == timedelta(minutes=10)
        assert not can_lock(scenario, instance)
        scenario.move_time("PT9M")
        assert not can_lock(scenario, instance)
        scenario.move_time("PT1M")
        assert can_lock(scenario, instance)
    last = instance.complete_job("a", error="still down")
    assert last.state == "CAUSED_INCIDENT"
    [incident] = instance.incidents()
    assert incident.error == "still down"


def test_a_list_gives_each_retry_its_own_delay(scenario):
    instance = scenario.start(scenario.deploy(process("PT1M,PT5M", prefix="flowable"), "p"))
    assert instance.job("a").retries == 2
    delays = []
    for _ in range(2):
        failed = instance.complete_job("a", error="down")
        delays.append(instance.job("a").due_at - failed.completed_at)
        scenario.move_time("PT5M")
    assert delays == [timedelta(minutes=1), timedelta(minutes=5)]
    assert instance.complete_job("a", error="down").state == "CAUSED_INCIDENT"


@pytest.mark.parametrize(("timer", "delay"), [("PT30S", timedelta(seconds=30)), ("PT0S", timedelta(0))])
def test_the_workers_retry_timer_wins_over_the_cycle(scenario, timer, delay):
    instance = scenario.start(scenario.deploy(process("R3/PT10M"), "p"))
    failed = instance.complete_job("a", error="down", retry_timer=timer)
    assert instance.job("a").due_at - failed.completed_at == delay


def test_the_workers_retry_limit_wins_over_the_cycles_count(scenario):
    instance = scenario.start(scenario.deploy(process("R5/PT1M"), "p"))
    assert instance.complete_job("a", error="down", retry_limit=0).state == "CAUSED_INCIDENT"


def test_a_job_that_succeeds_on_retry_completes_the_instance(scenario):
    instance = scenario.start(scenario.deploy(process("R2/PT1H"), "p"))
    instance.complete_job("a", error="down")
    scenario.move_time("PT1H")
    instance.complete_job("a")
    instance.is_completed()
