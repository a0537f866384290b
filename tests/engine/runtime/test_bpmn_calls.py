"""Scenario tests of call activities, sub-process boundary events, user-task errors and
escalations, and parallelism (go-bpmn's bpmn_call_activity/sub_process/user_task tests)."""

from __future__ import annotations

import pytest

from engine.errors import EngineError
from tests.conftest import conformance_xml


def deploy(scenario, model, process_id, version="1", **definitions):
    return scenario.deploy(conformance_xml(model), process_id, version, **definitions)


# --- call activities ---------------------------------------------------------------------------


def test_call_process_job_starts_the_child_and_pass_variables_finishes(scenario):
    deploy(scenario, "start-end.bpmn", "startEndTest")
    instance = scenario.start(deploy(scenario, "call-activity/start-end.bpmn", "callActivityStartEndTest"))
    instance.complete_job(
        completion={
            "calledProcess": {
                "bpmnProcessId": "startEndTest",
                "version": "1",
                "correlationKey": "ck",
                "tags": {"n1": "v1"},
                "variables": [{"name": "a", "data": {"encoding": "json", "value": '"av"'}}],
            }
        }
    )
    [child] = instance.children()
    child.execute_tasks()
    child.is_completed()
    got = child.get()
    assert (got.parent_id, got.root_id, got.correlation_key) == (instance.id, instance.id, "ck")
    assert child.variables() == {"a": "av"}
    instance.execute_tasks()
    instance.is_waiting_at("callActivity")
    instance.complete_job(process_variables={"back": 1})
    instance.is_completed()
    assert instance.job_types() == ["CALL_PROCESS", "PASS_VARIABLES"]
    assert instance.variables() == {"back": 1}


def test_called_element_in_the_model_is_called_by_the_engine(scenario):
    deploy(scenario, "start-end.bpmn", "startEndTest", version="called-element-test")
    instance = scenario.start(
        deploy(scenario, "call-activity/called-element.bpmn", "callActivityCalledElementTest"), {"shared": "x"}
    )
    assert instance.jobs() == []
    [child] = instance.children()
    child.execute_tasks()
    child.is_completed()
    assert child.get().version == "called-element-test"
    assert child.variables() == {"shared": "x"}  # no input mappings: the child gets every variable
    instance.execute_tasks()
    instance.is_completed()


def test_called_element_without_version_calls_the_latest(scenario):
    deploy(scenario, "start-end.bpmn", "startEndTest", version="v1")
    deploy(scenario, "start-end.bpmn", "startEndTest", version="v2")
    instance = scenario.start(
        deploy(scenario, "call-activity/called-element-latest.bpmn", "callActivityCalledElementLatestTest")
    )
    [child] = instance.children()
    assert child.get().version == "v2"


@pytest.mark.parametrize(
    ("model", "process_id", "message"),
    [
        (
            "call-activity/called-process-not-found.bpmn",
            "callActivityCalledProcessNotFoundTest",
            "process not-existing could not be found",
        ),
        (
            "call-activity/called-process-version-not-found.bpmn",
            "callActivityCalledProcessVersionNotFoundTest",
            "process not-existing:1 could not be found",
        ),
    ],
)
def test_a_missing_called_process_is_an_incident(scenario, model, process_id, message):
    instance = scenario.start(deploy(scenario, model, process_id))
    [incident] = instance.incidents()
    assert incident.error == message and incident.bpmn_element_id == "callActivity"
    instance.is_waiting_at("callActivity")


def test_call_process_job_for_an_unknown_process_fails(scenario):
    instance = scenario.start(deploy(scenario, "call-activity/start-end.bpmn", "callActivityStartEndTest"))
    job = instance.complete_job(completion={"calledProcess": {"bpmnProcessId": "not-existing", "version": "1"}})
    assert job.state == "CAUSED_INCIDENT" and "process not-existing:1 could not be found" in job.error


def test_an_interrupting_boundary_on_a_call_activity_terminates_the_child(scenario):
    deploy(scenario, "task/service.bpmn", "serviceTest")
    instance = scenario.start(deploy(scenario, "call-activity/signal-boundary.bpmn", "callActivitySignalBoundaryTest"))
    instance.complete_job("signalBoundaryEvent", completion={"signalName": "stop"})
    instance.complete_job("callActivity", completion={"calledProcess": {"bpmnProcessId": "serviceTest"}})
    [child] = instance.children()
    child.execute_tasks()
    child.is_waiting_at("serviceTask")
    scenario.send_signal("stop")
    instance.execute_tasks()
    instance.is_completed()
    assert instance.states()[2:] == [
        ("callActivity", "TERMINATED"),
        ("signalBoundaryEvent", "COMPLETED"),
        ("signalEnd", "COMPLETED"),
    ]
    assert [t.type for t in child.execute_tasks()] == ["TERMINATE_PROCESS_INSTANCE"]
    child.has_state("TERMINATED")
    assert child.states() == [("serviceTest", "TERMINATED"), ("startEvent", "COMPLETED"), ("serviceTask", "TERMINATED")]
    assert [j.state for j in child.jobs()] == ["CANCELED"]


def test_a_child_error_is_caught_by_the_call_activity_boundary(scenario):
    deploy(scenario, "task/service.bpmn", "serviceTest")
    instance = scenario.start(deploy(scenario, "call-activity/error-boundary.bpmn", "callActivityErrorBoundaryTest"))
    instance.complete_job("callActivity", completion={"calledProcess": {"bpmnProcessId": "serviceTest"}})
    [child] = instance.children()
    child.execute_tasks()
    child.complete_job(completion={"errorCode": "testErrorCode"})
    child.has_state("TERMINATED")
    assert child.states() == [("serviceTest", "TERMINATED"), ("startEvent", "COMPLETED"), ("serviceTask", "TERMINATED")]
    instance.execute_tasks()
    instance.is_completed()
    assert instance.states()[2:] == [
        ("callActivity", "TERMINATED"),
        ("errorBoundaryEvent", "COMPLETED"),
        ("errorEnd", "COMPLETED"),
    ]


def test_a_child_error_end_event_reaches_the_parent_through_the_child_scopes(scenario):
    deploy(
        scenario,
        "event/error-end.bpmn",
        "errorEndTest",
        errors=[{"bpmnElementId": "errorBoundaryEvent", "errorCode": "ignored"}],
    )
    instance = scenario.start(deploy(scenario, "call-activity/error-boundary.bpmn", "callActivityErrorBoundaryTest"))
    instance.complete_job("callActivity", completion={"calledProcess": {"bpmnProcessId": "errorEndTest"}})
    [child] = instance.children()
    child.execute_tasks()
    child.complete_job("errorEndEvent", completion={"errorCode": "testErrorCode"})
    child.has_state("TERMINATED")
    instance.execute_tasks()
    instance.is_completed().has_passed("errorEnd")


def test_a_non_interrupting_escalation_from_the_child_leaves_both_running(scenario):
    deploy(scenario, "task/service.bpmn", "serviceTest")
    instance = scenario.start(
        deploy(scenario, "call-activity/escalation-boundary.bpmn", "callActivityEscalationBoundaryTest")
    )
    instance.complete_job("callActivity", completion={"calledProcess": {"bpmnProcessId": "serviceTest"}})
    [child] = instance.children()
    child.execute_tasks()
    child.complete_job(completion={"escalationCode": "testEscalationNonInterruptingCode"})
    child.has_state("STARTED").is_waiting_at("serviceTask")
    assert child.job_types() == ["EXECUTE", "EXECUTE"]
    instance.execute_tasks()
    instance.has_state("STARTED").has_passed("nonInterruptingEscalationEnd")
    assert dict(instance.states())["callActivity"] == "STARTED"


def test_an_interrupting_escalation_from_the_child_ends_it(scenario):
    deploy(scenario, "task/service.bpmn", "serviceTest")
    instance = scenario.start(
        deploy(scenario, "call-activity/escalation-boundary.bpmn", "callActivityEscalationBoundaryTest")
    )
    instance.complete_job("callActivity", completion={"calledProcess": {"bpmnProcessId": "serviceTest"}})
    [child] = instance.children()
    child.execute_tasks()
    child.complete_job(completion={"escalationCode": "testEscalationCode"})
    child.has_state("TERMINATED")
    instance.execute_tasks()
    instance.is_completed().has_passed("escalationEnd")


def test_canceling_a_parent_cancels_its_children(scenario):
    deploy(scenario, "task/service.bpmn", "serviceTest")
    instance = scenario.start(deploy(scenario, "call-activity/start-end.bpmn", "callActivityStartEndTest"))
    instance.complete_job(completion={"calledProcess": {"bpmnProcessId": "serviceTest"}})
    [child] = instance.children()
    child.execute_tasks()
    instance.cancel("no longer needed")
    child.execute_tasks()
    child.has_state("CANCELED")


# --- sub-process boundary events ---------------------------------------------------------------


def test_sub_process_boundary_interrupts_everything_inside(scenario):
    instance = scenario.start(
        deploy(
            scenario,
            "sub-process/boundary.bpmn",
            "boundaryTest",
            signals=[{"bpmnElementId": "signalBoundaryEvent", "signalName": "stop"}],
        )
    )
    assert dict(instance.states())["subProcess"] == "CREATED"  # message and timer boundaries need jobs
    instance.complete_job("messageBoundaryEvent", completion={"messageName": "m", "messageCorrelationKey": "k"})
    instance.complete_job("timerBoundaryEvent", completion={"timer": {"timeDuration": "PT1H"}})
    instance.is_waiting_at("serviceTaskA").is_waiting_at("serviceTaskB")
    scenario.send_signal("stop")
    instance.execute_tasks()
    instance.is_completed().has_passed("signalEnd")
    states = instance.states()
    assert len(states) == 11
    assert states[2:6] == [
        ("subProcess", "TERMINATED"),
        ("messageBoundaryEvent", "TERMINATED"),
        ("signalBoundaryEvent", "COMPLETED"),
        ("timerBoundaryEvent", "TERMINATED"),
    ]
    assert {s for e, s in states if e.startswith("serviceTask")} == {"TERMINATED"}


def test_sub_process_boundaries_end_when_it_completes(scenario):
    instance = scenario.start(
        deploy(
            scenario,
            "sub-process/boundary.bpmn",
            "boundaryTest",
            signals=[{"bpmnElementId": "signalBoundaryEvent", "signalName": "stop"}],
        )
    )
    instance.complete_job("messageBoundaryEvent", completion={"messageName": "m", "messageCorrelationKey": "k"})
    instance.complete_job("timerBoundaryEvent", completion={"timer": {"timeDuration": "PT1H"}})
    instance.complete_job("serviceTaskA")
    instance.complete_job("serviceTaskB")
    instance.is_completed()
    assert len(instance.element_instances()) == 15
    assert [s for _, s in instance.states()[3:6]] == ["TERMINATED"] * 3
    assert scenario.send_signal("stop").subscriber_count == 0  # the subscription ended with it
    timer_tasks = [t.state for t in instance.tasks() if t.type == "TRIGGER_EVENT"]
    assert timer_tasks == ["CANCELED"]


@pytest.mark.parametrize("signal", [False, True])
def test_nested_sub_processes(scenario, signal):
    instance = scenario.start(
        deploy(
            scenario,
            "sub-process/nested.bpmn",
            "nestedTest",
            signals=[{"bpmnElementId": "signalBoundaryEvent", "signalName": "stop"}],
        )
    )
    instance.is_waiting_at("serviceTask")
    if signal:
        scenario.send_signal("stop")
        instance.execute_tasks()
        assert len(instance.element_instances()) == 9
        assert dict(instance.states())["nestedSubProcess"] == "TERMINATED"
    else:
        instance.complete_job()
        assert len(instance.element_instances()) == 11
    instance.is_completed()


# --- user tasks ----------------------------------------------------------------------------------


def test_user_task_completion(scenario):
    instance = scenario.start(deploy(scenario, "user-task/start-end.bpmn", "userTaskStartEndTest"))
    instance.is_waiting_at("userTask")
    done = instance.update_user_task(completed=True)
    assert done.state == "COMPLETED"
    instance.is_completed()
    assert instance.states()[2:] == [("userTask", "COMPLETED"), ("endEvent", "COMPLETED")]


def test_user_task_error_is_caught_by_its_boundary(scenario):
    instance = scenario.start(deploy(scenario, "user-task/error-boundary.bpmn", "userTaskErrorBoundaryTest"))
    assert instance.update_user_task(error_code="testErrorCode").state == "TERMINATED"
    instance.is_completed()
    assert instance.states()[2:] == [
        ("userTask", "TERMINATED"),
        ("errorBoundaryEvent", "COMPLETED"),
        ("errorEnd", "COMPLETED"),
    ]


def test_user_task_error_nobody_catches_is_refused(scenario):
    instance = scenario.start(deploy(scenario, "user-task/start-end.bpmn", "userTaskStartEndTest"))
    with pytest.raises(EngineError) as error:
        instance.update_user_task(error_code="test-error")
    assert error.value.kind == "EXECUTION" and "error code test-error" in error.value.detail
    assert instance.user_task().state == "STARTED" and instance.user_task().revision == 1


def _escalation_user_task(scenario):
    return scenario.start(
        deploy(
            scenario,
            "user-task/escalation-boundary.bpmn",
            "userTaskEscalationBoundaryTest",
            escalations=[
                {"bpmnElementId": "escalationBoundaryEvent", "escalationCode": "interrupting"},
                {"bpmnElementId": "escalationBoundaryEventNonInterrupting", "escalationCode": "non-interrupting"},
            ],
        )
    )


def test_user_task_interrupting_escalation(scenario):
    instance = _escalation_user_task(scenario)
    assert instance.update_user_task(escalation_code="interrupting").state == "TERMINATED"
    instance.is_completed()
    assert len(instance.element_instances()) == 6


def test_user_task_non_interrupting_escalation_keeps_it_open(scenario):
    instance = _escalation_user_task(scenario)
    assert instance.update_user_task(escalation_code="non-interrupting").state == "STARTED"
    instance.has_state("STARTED")
    assert instance.states()[2:] == [
        ("userTask", "STARTED"),
        ("escalationBoundaryEventNonInterrupting", "COMPLETED"),
        ("escalationBoundaryEvent", "CREATED"),
        ("escalationBoundaryEventNonInterrupting", "CREATED"),
        ("escalationEndNonInterrupting", "COMPLETED"),
    ]
    instance.update_user_task(completed=True)
    instance.is_completed()


# --- parallelism ---------------------------------------------------------------------------------


def test_parallelism_queues_instances_and_starts_them_in_order(scenario):
    process = scenario.deploy(conformance_xml("task/send.bpmn"), "sendTest", "1")
    from engine.store import tables

    with scenario.db.engine.begin() as conn:
        conn.execute(tables.process.update().values(parallelism=1))
    first, second, third = (scenario.start(process) for _ in range(3))
    assert [i.get().state for i in (first, second, third)] == ["STARTED", "QUEUED", "QUEUED"]
    first.complete_job()
    first.is_completed()
    second.execute_tasks()
    assert [i.get().state for i in (second, third)] == ["STARTED", "QUEUED"]
    second.complete_job()
    third.execute_tasks()
    third.has_state("STARTED")


def test_raising_parallelism_with_a_new_version_dequeues(scenario):
    xml = conformance_xml("task/script.bpmn")
    v1 = scenario.deploy(xml, "scriptTest", "1")
    from engine.store import tables

    with scenario.db.engine.begin() as conn:
        conn.execute(tables.process.update().values(parallelism=2))
    instances = [scenario.start(v1) for _ in range(4)]
    assert [i.get().state for i in instances] == ["STARTED", "STARTED", "QUEUED", "QUEUED"]
    from engine.commands.processes import CreateProcess, create_process

    scenario.db.run(create_process, CreateProcess("scriptTest", xml, "2", "w", parallelism=0), max_bpmn_bytes=10**7)
    scenario.execute_due()
    assert [i.get().state for i in instances] == ["STARTED"] * 4
