"""Scenario tests of events: errors, escalations, links, messages, signals, timers, the
event-based gateway. Expectations follow go-bpmn's tests (engine/test/bpmn_*_event_test.go)."""

from __future__ import annotations

import pytest

from tests.conftest import conformance_xml


def deploy(scenario, model, process_id, **definitions):
    return scenario.deploy(conformance_xml(model), process_id, **definitions)


# --- errors ------------------------------------------------------------------------------------


def test_error_boundary_code_from_a_job_then_the_task_error_is_caught(scenario):
    instance = scenario.start(deploy(scenario, "event/error-boundary-event.bpmn", "errorBoundaryEventTest"))
    assert instance.states()[2:] == [("serviceTask", "CREATED"), ("errorBoundaryEvent", "CREATED")]
    assert instance.job_types() == ["SET_ERROR_CODE"]  # the task waits for its boundary event
    instance.complete_job("errorBoundaryEvent", completion={"errorCode": "TEST_CODE"})
    instance.is_waiting_at("serviceTask")
    instance.complete_job("serviceTask", completion={"errorCode": "TEST_CODE"})
    instance.is_completed().has_passed("endEventB")
    assert len(instance.element_instances()) == 5
    assert instance.states()[2:4] == [("serviceTask", "TERMINATED"), ("errorBoundaryEvent", "COMPLETED")]
    assert instance.job_types() == ["SET_ERROR_CODE", "EXECUTE"]


def test_error_boundary_with_a_code_from_the_definitions_needs_no_job(scenario):
    process = deploy(
        scenario,
        "event/error-boundary-event.bpmn",
        "errorBoundaryEventTest",
        errors=[{"bpmnElementId": "errorBoundaryEvent", "errorCode": "TEST_CODE"}],
    )
    instance = scenario.start(process)
    instance.complete_job("serviceTask", completion={"errorCode": "TEST_CODE"})
    instance.is_completed().has_passed("endEventB")
    assert instance.job_types() == ["EXECUTE"]


def test_an_empty_error_code_catches_every_error(scenario):
    instance = scenario.start(deploy(scenario, "event/error-boundary-event.bpmn", "errorBoundaryEventTest"))
    instance.complete_job("errorBoundaryEvent")
    instance.complete_job("serviceTask", completion={"errorCode": "ANYTHING"})
    instance.is_completed().has_passed("endEventB")


def test_the_boundary_event_ends_when_its_task_completes_normally(scenario):
    instance = scenario.start(deploy(scenario, "event/error-boundary-event.bpmn", "errorBoundaryEventTest"))
    instance.complete_job("errorBoundaryEvent", completion={"errorCode": "TEST_CODE"})
    instance.complete_job("serviceTask")
    instance.is_completed().has_passed("endEventA")
    assert instance.states()[2:4] == [("serviceTask", "COMPLETED"), ("errorBoundaryEvent", "TERMINATED")]


def test_an_uncaught_error_from_a_job_becomes_an_incident(scenario):
    instance = scenario.start(deploy(scenario, "event/error-boundary-event.bpmn", "errorBoundaryEventTest"))
    instance.complete_job("errorBoundaryEvent", completion={"errorCode": "TEST_CODE"})
    job = instance.complete_job("serviceTask", completion={"errorCode": "not-existing"})
    assert job.state == "CAUSED_INCIDENT"
    assert "failed to find boundary event for error code not-existing" in job.error
    assert len(instance.incidents()) == 1
    instance.is_waiting_at("serviceTask")


def test_error_code_from_the_model(scenario):
    instance = scenario.start(
        deploy(scenario, "event/error-boundary-event-definition.bpmn", "errorBoundaryEventDefinitionTest")
    )
    assert instance.job_types() == ["EXECUTE"]
    instance.complete_job(completion={"errorCode": "testErrorCode"})
    instance.is_completed().has_passed("endEventB")


def test_an_exact_code_wins_over_a_catch_all(scenario):
    instance = scenario.start(
        deploy(scenario, "event/error-boundary-multiple-event.bpmn", "errorBoundaryMultipleEventTest")
    )
    instance.complete_job("errorBoundaryEventA")
    instance.complete_job("errorBoundaryEventB", completion={"errorCode": "TEST_CODE"})
    instance.complete_job("serviceTask", completion={"errorCode": "TEST_CODE"})
    instance.is_completed()
    assert instance.states()[2:] == [
        ("serviceTask", "TERMINATED"),
        ("errorBoundaryEventA", "TERMINATED"),
        ("errorBoundaryEventB", "COMPLETED"),
        ("endEventC", "COMPLETED"),
    ]


@pytest.mark.parametrize(
    ("boundary_code", "passed", "sub_process"), [("", "errorEnd", "TERMINATED"), ("x", "endEvent", "COMPLETED")]
)
def test_error_end_event_is_caught_by_the_sub_process_boundary_or_ends_like_a_none_end(
    scenario, boundary_code, passed, sub_process
):
    process = deploy(
        scenario,
        "event/error-end.bpmn",
        "errorEndTest",
        errors=[
            {"bpmnElementId": "errorEndEvent", "errorCode": "end"},
            {"bpmnElementId": "errorBoundaryEvent", "errorCode": boundary_code},
        ],
    )
    instance = scenario.start(process)
    instance.is_completed().has_passed(passed)
    states = dict(instance.states())
    assert states["subProcess"] == sub_process and states["errorEndEvent"] == "COMPLETED"
    assert len(instance.element_instances()) == 7


# --- escalations -------------------------------------------------------------------------------


def test_escalation_from_a_job_interrupts(scenario):
    instance = scenario.start(deploy(scenario, "event/escalation-boundary.bpmn", "escalationBoundaryTest"))
    instance.complete_job("escalationBoundaryEvent", completion={"escalationCode": "TEST_CODE"})
    instance.complete_job("serviceTask", completion={"escalationCode": "TEST_CODE"})
    instance.is_completed().has_passed("endEventB")
    assert instance.states()[2:4] == [("serviceTask", "TERMINATED"), ("escalationBoundaryEvent", "COMPLETED")]
    assert instance.job_types() == ["SET_ESCALATION_CODE", "EXECUTE"]


def test_an_uncaught_escalation_from_a_job_is_an_incident(scenario):
    instance = scenario.start(deploy(scenario, "task/service.bpmn", "serviceTest"))
    job = instance.complete_job(completion={"escalationCode": "esclation-code"})
    assert job.state == "CAUSED_INCIDENT" and "escalation code esclation-code" in job.error


def test_escalation_code_from_the_model(scenario):
    instance = scenario.start(
        deploy(scenario, "event/escalation-boundary-definition.bpmn", "escalationBoundaryDefinitionTest")
    )
    instance.complete_job(completion={"escalationCode": "testEscalationCode"})
    instance.is_completed().has_passed("endEventB")


def test_a_non_interrupting_escalation_leaves_the_task_running_with_a_new_job(scenario):
    instance = scenario.start(
        deploy(scenario, "event/escalation-boundary-non-interrupting.bpmn", "escalationBoundaryNonInterruptingTest")
    )
    instance.complete_job("escalationBoundaryEvent", completion={"escalationCode": "TEST_CODE"})
    instance.complete_job("serviceTask", completion={"escalationCode": "TEST_CODE"})
    instance.has_passed("endEventB").has_state("STARTED").is_waiting_at("serviceTask")
    instance.complete_job("serviceTask")
    instance.is_completed()
    assert instance.states()[2:] == [
        ("serviceTask", "COMPLETED"),
        ("escalationBoundaryEvent", "COMPLETED"),
        ("escalationBoundaryEvent", "TERMINATED"),
        ("endEventB", "COMPLETED"),
        ("endEventA", "COMPLETED"),
    ]
    assert instance.job_types() == ["SET_ESCALATION_CODE", "EXECUTE", "EXECUTE"]


def _escalation_throw_end(scenario, throw, end, non_interrupting, interrupting):
    return scenario.start(
        deploy(
            scenario,
            "event/escalation-throw-end.bpmn",
            "escalationThrowEndTest",
            escalations=[
                {"bpmnElementId": "escalationThrowEvent", "escalationCode": throw},
                {"bpmnElementId": "escalationEndEvent", "escalationCode": end},
                {"bpmnElementId": "escalationBoundaryEventNonInterrupting", "escalationCode": non_interrupting},
                {"bpmnElementId": "escalationBoundaryEvent", "escalationCode": interrupting},
            ],
        )
    )


def test_escalation_end_reaches_only_interrupting_boundary_events(scenario):
    instance = _escalation_throw_end(scenario, "throw", "end", "end", "")
    instance.is_completed().has_passed("escalationEnd")
    assert len(instance.element_instances()) == 9
    states = dict(instance.states())
    assert states["subProcess"] == "TERMINATED" and states["escalationBoundaryEventNonInterrupting"] == "TERMINATED"


def test_escalation_throw_reaches_only_non_interrupting_boundary_events_and_continues(scenario):
    instance = _escalation_throw_end(scenario, "throw", "end", "", "throw")
    instance.is_completed()
    assert len(instance.element_instances()) == 11
    assert instance.states()[2:4] == [
        ("subProcess", "COMPLETED"),
        ("escalationBoundaryEventNonInterrupting", "COMPLETED"),
    ]
    instance.has_passed("escalationEndNonInterrupting").has_passed("endEvent")


# --- links -------------------------------------------------------------------------------------


@pytest.mark.parametrize("via", ["A", "B"])
def test_link_throw_jumps_to_its_catch(scenario, via):
    instance = scenario.start(deploy(scenario, "event/link.bpmn", "linkTest"))
    instance.complete_job(completion={"exclusiveGatewayDecision": f"linkThrowEvent{via}"})
    instance.is_completed()
    assert instance.states()[3:5] == [(f"linkThrowEvent{via}", "COMPLETED"), (f"linkCatchEvent{via}", "COMPLETED")]
    assert len(instance.element_instances()) == 7


def test_links_stay_in_their_scope(scenario):
    instance = scenario.start(deploy(scenario, "event/link-scope.bpmn", "linkScopeTest"))
    instance.complete_job(completion={"exclusiveGatewayDecision": "subProcess"})
    instance.is_completed()
    assert [e for e, _ in instance.states()][5:7] == ["linkThrowEventB", "linkCatchEventB"]
    assert len(instance.element_instances()) == 10


# --- messages ----------------------------------------------------------------------------------


def test_message_boundary_interrupts_and_a_late_job_completion_is_canceled(scenario):
    instance = scenario.start(deploy(scenario, "event/message-boundary.bpmn", "messageBoundaryTest"))
    instance.complete_job(
        "messageBoundaryEvent", completion={"messageName": "boundary-message", "messageCorrelationKey": "ck"}
    )
    job = instance.lock_job("serviceTask")
    message = scenario.send_message("boundary-message", "ck")
    assert message.correlated and message.expires_at is None
    instance.execute_tasks()
    instance.is_completed().has_passed("endEventB")
    assert instance.states()[2:4] == [("serviceTask", "TERMINATED"), ("messageBoundaryEvent", "COMPLETED")]
    from engine.commands import jobs as job_commands

    late = scenario.db.run(
        job_commands.complete_job,
        job.partition,
        job.id,
        job_commands.CompleteJob(worker_id="test-worker"),
        scenario.policy,
    )
    assert late.state == "CANCELED"


def test_a_message_sent_before_the_subscription_is_correlated_when_it_opens(scenario):
    scenario.send_message("boundary-message", "early", expires="PT1H")
    instance = scenario.start(deploy(scenario, "event/message-boundary.bpmn", "messageBoundaryTest"))
    instance.complete_job(
        "messageBoundaryEvent", completion={"messageName": "boundary-message", "messageCorrelationKey": "early"}
    )
    instance.is_completed().has_passed("endEventB")


def test_non_interrupting_message_boundary_fires_once_per_message(scenario):
    instance = scenario.start(
        deploy(scenario, "event/message-boundary-non-interrupting.bpmn", "messageBoundaryNonInterruptingTest")
    )
    instance.complete_job(
        "messageBoundaryEvent", completion={"messageName": "boundary-message", "messageCorrelationKey": "k"}
    )
    assert scenario.send_message("boundary-message", "k").correlated
    instance.execute_tasks()
    assert scenario.send_message("boundary-message", "k").correlated
    instance.execute_tasks()
    instance.complete_job("serviceTask")
    instance.is_completed()
    assert [s for _, s in instance.states()[2:]] == [
        "COMPLETED",
        "COMPLETED",
        "COMPLETED",
        "COMPLETED",
        "TERMINATED",
        "COMPLETED",
        "COMPLETED",
    ]
    assert [e for e, _ in instance.states()].count("endEventB") == 2


def test_message_catch_passes_variables_and_the_message_expires(scenario):
    instance = scenario.start(deploy(scenario, "event/message-catch.bpmn", "messageCatchTest"), {"b": 1})
    instance.complete_job(completion={"messageName": "catch-message", "messageCorrelationKey": "ck"})
    instance.has_state("STARTED").is_waiting_at("messageCatchEvent")
    from engine.commands.messages import SendMessage, send_message
    from engine.variables import VariableChange, from_value

    message = scenario.db.run(
        send_message,
        SendMessage(
            name="catch-message",
            correlation_key="ck",
            worker_id="test-worker",
            variables=[VariableChange("a", from_value("x")), VariableChange("b", None)],
        ),
        scenario.policy,
    )
    assert message.correlated and message.expires_at is None
    instance.execute_tasks()
    instance.is_completed()
    assert instance.variables() == {"a": "x"}
    from engine.queries.messages import query_messages

    with scenario.db.engine.connect() as conn:
        [stored] = query_messages(conn, scenario.db.clock.now(), id=message.id)
    assert stored.correlated and stored.expires_at is not None


def test_buffered_messages_are_taken_oldest_first_and_unbuffered_ones_expire(scenario):
    first = scenario.send_message("catch-message", "k", expires="PT1H")
    second = scenario.send_message("catch-message", "k")  # no expiration timer: expired at once
    third = scenario.send_message("catch-message", "k", expires="PT1H")
    assert not first.correlated and second.expires_at is not None
    process = deploy(scenario, "event/message-catch.bpmn", "messageCatchTest")
    one, two = scenario.start(process), scenario.start(process)
    one.complete_job(completion={"messageName": "catch-message", "messageCorrelationKey": "k"})
    two.complete_job(completion={"messageName": "catch-message", "messageCorrelationKey": "k"})
    one.is_completed()
    two.is_completed()
    from engine.queries.messages import query_messages

    with scenario.db.engine.connect() as conn:
        messages = {m.id: m for m in query_messages(conn, scenario.db.clock.now(), name="catch-message")}
    assert messages[first.id].correlated and messages[third.id].correlated and not messages[second.id].correlated


def test_message_catch_name_from_the_model_needs_only_a_correlation_key(scenario):
    instance = scenario.start(deploy(scenario, "event/message-catch-definition.bpmn", "messageCatchDefinitionTest"))
    assert instance.job_types() == ["SET_MESSAGE_CORRELATION_KEY"]
    instance.complete_job(completion={"messageCorrelationKey": "catchMessageCk"})
    assert scenario.send_message("catchMessageName", "catchMessageCk").correlated
    instance.execute_tasks()
    instance.is_completed()


@pytest.mark.parametrize(
    ("model", "process_id", "element"),
    [
        ("event/message-end.bpmn", "messageEndTest", "messageEndEvent"),
        ("event/message-throw.bpmn", "messageThrowTest", "messageThrowEvent"),
    ],
)
def test_message_throw_and_end_events_are_jobs(scenario, model, process_id, element):
    instance = scenario.start(deploy(scenario, model, process_id))
    instance.is_waiting_at(element)
    assert instance.job_types() == ["EXECUTE"]
    instance.complete_job()
    instance.is_completed()


def test_a_message_starts_an_instance_with_its_variables(scenario):
    deploy(
        scenario,
        "event/message-start.bpmn",
        "messageStartTest",
        messages=[{"bpmnElementId": "messageStartEvent", "messageName": "start-message"}],
    )
    message = scenario.send_message("start-message", "ck-1", {"a": 1})
    assert message.correlated
    scenario.execute_due()
    [instance] = scenario.instances("messageStartTest")
    instance.is_completed()
    assert instance.variables() == {"a": 1}
    assert instance.get().correlation_key == "ck-1"
    assert [e for e, _ in instance.states()] == ["messageStartTest", "messageStartEvent", "endEvent"]


def test_a_unique_key_allows_one_running_instance_per_key(scenario):
    xml = conformance_xml("event/message-start.v2.bpmn")
    scenario.deploy(
        xml, "messageStartTest", messages=[{"bpmnElementId": "messageStartEvent", "messageName": "singleton"}]
    )
    first = scenario.send_message("singleton", "k", unique_key="uk")
    scenario.execute_due()
    again = scenario.send_message("singleton", "k", unique_key="uk")
    assert again.id == first.id
    [instance] = scenario.instances("messageStartTest")
    instance.complete_job()
    instance.is_completed()
    later = scenario.send_message("singleton", "k", unique_key="uk")
    assert later.id != first.id and later.correlated


def test_a_thousand_sends_with_one_unique_key_correlate_exactly_once(scenario):
    from concurrent.futures import ThreadPoolExecutor

    deploy(
        scenario,
        "event/message-start.v2.bpmn",
        "messageStartTest",
        messages=[{"bpmnElementId": "messageStartEvent", "messageName": "once"}],
    )
    with ThreadPoolExecutor(8) as pool:
        sent = list(pool.map(lambda _: scenario.send_message("once", "k", unique_key="u"), range(1000)))
    assert len({m.id for m in sent}) == 1
    scenario.execute_due()
    assert len(scenario.instances("messageStartTest")) == 1


def test_message_start_name_from_the_model(scenario):
    deploy(scenario, "event/message-start-definition.bpmn", "messageStartDefinitionTest")
    assert scenario.send_message("startMessageName", "startMessageCk").correlated
    scenario.execute_due()
    scenario.instances("messageStartDefinitionTest")[0].is_completed()


def test_message_start_names_must_be_unique(scenario):
    from engine.errors import EngineError

    with pytest.raises(EngineError) as error:
        deploy(
            scenario,
            "event/message-start-multiple.bpmn",
            "messageStartMultipleTest",
            messages=[
                {"bpmnElementId": "messageStartEventA", "messageName": "n"},
                {"bpmnElementId": "messageStartEventB", "messageName": "n"},
            ],
        )
    assert error.value.kind == "VALIDATION" and "must be unique" in error.value.detail
    deploy(scenario, "event/message-start-definition.bpmn", "messageStartDefinitionTest")
    with pytest.raises(EngineError) as error:
        deploy(
            scenario,
            "event/message-start.bpmn",
            "messageStartTest",
            messages=[{"bpmnElementId": "messageStartEvent", "messageName": "startMessageName"}],
        )
    assert "already defined in process messageStartDefinitionTest:1" in error.value.detail


def test_interrupting_a_sub_process_cancels_its_message_subscriptions_and_child_instance(scenario):
    deploy(
        scenario,
        "event/message-catch.bpmn",
        "messageCatchTest",
        messages=[{"bpmnElementId": "messageCatchEvent", "messageName": "T4"}],
    )
    instance = scenario.start(
        deploy(
            scenario,
            "event/message-subscription-cancelation.bpmn",
            "messageSubscriptionCancelationTest",
            messages=[
                {"bpmnElementId": "messageBoundaryEvent", "messageName": "T1"},
                {"bpmnElementId": "messageCatchEvent", "messageName": "T2"},
                {"bpmnElementId": "subProcessMessageCatchEvent", "messageName": "T3"},
            ],
        )
    )
    instance.complete_job("messageBoundaryEvent", completion={"messageCorrelationKey": "1"})
    instance.complete_job("messageCatchEvent", completion={"messageCorrelationKey": "2"})
    instance.complete_job("subProcessMessageCatchEvent", completion={"messageCorrelationKey": "3"})
    instance.complete_job(
        "callActivity", completion={"calledProcess": {"bpmnProcessId": "messageCatchTest", "version": "1"}}
    )
    [child] = instance.children()
    child.execute_tasks()
    child.complete_job(completion={"messageCorrelationKey": "4"})
    assert scenario.send_message("T1", "1").correlated
    instance.execute_tasks()
    states = dict(instance.states())
    assert states["subProcess"] == "TERMINATED" and states["callActivity"] == "TERMINATED"
    assert states["subProcessMessageCatchEvent"] == "TERMINATED" and states["messageBoundaryEvent"] == "COMPLETED"
    from engine.queries.messages import query_message_subscriptions

    with scenario.db.engine.connect() as conn:
        left = query_message_subscriptions(conn, partition=instance.partition, process_instance_id=instance.id)
    assert [(s.bpmn_element_id, s.name) for s in left] == [("messageCatchEvent", "T2")]
    child.execute_tasks()
    child.has_state("TERMINATED")
    with scenario.db.engine.connect() as conn:
        assert query_message_subscriptions(conn, process_instance_id=child.id) == []


# --- signals -----------------------------------------------------------------------------------


def test_signal_boundary_interrupts(scenario):
    instance = scenario.start(deploy(scenario, "event/signal-boundary.bpmn", "signalBoundaryTest"))
    instance.complete_job("signalBoundaryEvent", completion={"signalName": "boundary-signal"})
    assert scenario.send_signal("boundary-signal").subscriber_count == 1
    instance.execute_tasks()
    instance.is_completed().has_passed("endEventB")
    assert instance.job_types() == ["SUBSCRIBE_SIGNAL", "EXECUTE"]


def test_non_interrupting_signal_boundary_is_armed_again(scenario):
    instance = scenario.start(
        deploy(scenario, "event/signal-boundary-non-interrupting.bpmn", "signalBoundaryNonInterruptingTest")
    )
    instance.complete_job("signalBoundaryEvent", completion={"signalName": "s"})
    scenario.send_signal("s")
    instance.execute_tasks()
    instance.complete_job("serviceTask")
    instance.is_completed()
    assert [s for _, s in instance.states()[2:]] == ["COMPLETED", "COMPLETED", "TERMINATED", "COMPLETED", "COMPLETED"]


def test_signal_catch_counts_subscribers_and_passes_variables(scenario):
    instance = scenario.start(deploy(scenario, "event/signal-catch.bpmn", "signalCatchTest"), {"b": 2})
    instance.complete_job(completion={"signalName": "catch-signal"})
    from engine.commands.signals import SendSignal, send_signal
    from engine.variables import VariableChange, from_value

    sent = scenario.db.run(
        send_signal,
        SendSignal(
            name="catch-signal",
            worker_id="w",
            variables=[VariableChange("a", from_value(1)), VariableChange("b", None)],
        ),
        scenario.policy,
    )
    assert sent.subscriber_count == 1
    assert scenario.send_signal("catch-signal").subscriber_count == 0  # consumed at send time
    instance.execute_tasks()
    instance.is_completed()
    assert instance.variables() == {"a": 1}


def test_a_signal_name_from_the_model_subscribes_at_once_and_starts_signal_start_processes(scenario):
    deploy(scenario, "event/signal-start-definition.bpmn", "signalStartDefinitionTest")
    instance = scenario.start(deploy(scenario, "event/signal-catch-definition.bpmn", "signalCatchDefinitionTest"))
    assert instance.jobs() == []
    assert scenario.send_signal("testSignalName").subscriber_count == 2
    scenario.execute_due()
    instance.is_completed()
    scenario.instances("signalStartDefinitionTest")[0].is_completed()


@pytest.mark.parametrize(
    ("model", "process_id", "job"),
    [
        ("event/signal-end.bpmn", "signalEndTest", True),
        ("event/signal-throw.bpmn", "signalThrowTest", True),
        ("event/signal-end-definition.bpmn", "signalEndDefinitionTest", False),
    ],
)
def test_signal_throw_and_end_events_send_the_signal(scenario, model, process_id, job):
    listener = scenario.start(deploy(scenario, "event/signal-catch.bpmn", "signalCatchTest"))
    listener.complete_job(completion={"signalName": "endSignalName"})
    instance = scenario.start(deploy(scenario, model, process_id))
    if job:
        instance.complete_job(completion={"signalName": "endSignalName"})
    instance.execute_tasks()
    instance.is_completed()
    listener.execute_tasks()
    listener.is_completed()


def test_a_signal_starts_an_instance(scenario):
    deploy(
        scenario,
        "event/signal-start.bpmn",
        "signalStartTest",
        signals=[{"bpmnElementId": "signalStartEvent", "signalName": "start-signal"}],
    )
    scenario.send_signal("start-signal", {"a": "x"})
    scenario.send_signal("start-signal")
    scenario.execute_due()
    instances = scenario.instances("signalStartTest")
    assert len(instances) == 2 and instances[0].variables() == {"a": "x"}
    for instance in instances:
        instance.is_completed()


def test_signal_start_names_must_be_unique_within_the_process(scenario):
    from engine.errors import EngineError

    with pytest.raises(EngineError, match="must be unique"):
        deploy(
            scenario,
            "event/signal-start-multiple.bpmn",
            "signalStartMultipleTest",
            signals=[
                {"bpmnElementId": "signalStartEventA", "signalName": "n"},
                {"bpmnElementId": "signalStartEventB", "signalName": "n"},
            ],
        )


def test_interrupting_a_sub_process_cancels_its_signal_subscriptions_and_child_instance(scenario):
    deploy(
        scenario,
        "event/signal-catch.bpmn",
        "signalCatchTest",
        signals=[{"bpmnElementId": "signalCatchEvent", "signalName": "T4"}],
    )
    instance = scenario.start(
        deploy(
            scenario,
            "event/signal-subscription-cancelation.bpmn",
            "signalSubscriptionCancelationTest",
            signals=[
                {"bpmnElementId": "signalBoundaryEvent", "signalName": "T1"},
                {"bpmnElementId": "signalCatchEvent", "signalName": "T2"},
                {"bpmnElementId": "subProcessSignalCatchEvent", "signalName": "T3"},
            ],
        )
    )
    instance.complete_job("callActivity", completion={"calledProcess": {"bpmnProcessId": "signalCatchTest"}})
    [child] = instance.children()
    child.execute_tasks()
    assert scenario.send_signal("T1").subscriber_count == 1
    instance.execute_tasks()
    states = dict(instance.states())
    assert states["subProcess"] == "TERMINATED" and states["subProcessSignalCatchEvent"] == "TERMINATED"
    from engine.queries.signals import query_signal_subscriptions

    with scenario.db.engine.connect() as conn:
        left = query_signal_subscriptions(conn, partition=instance.partition, process_instance_id=instance.id)
    assert [(s.bpmn_element_id, s.name) for s in left] == [("signalCatchEvent", "T2")]
    tasks = child.execute_tasks()
    assert [t.type for t in tasks] == ["TERMINATE_PROCESS_INSTANCE"]
    child.has_state("TERMINATED")


# --- timers ------------------------------------------------------------------------------------


def test_timer_boundary_from_a_job_fires_when_the_time_comes(scenario):
    instance = scenario.start(deploy(scenario, "event/timer-boundary.bpmn", "timerBoundaryTest"))
    instance.complete_job("timerBoundaryEvent", completion={"timer": {"timeDuration": "PT1H"}})
    instance.execute_tasks()
    instance.is_waiting_at("serviceTask")
    scenario.move_time("PT1H")
    instance.execute_tasks()
    instance.is_completed().has_passed("endEventB")
    assert instance.job_types() == ["SET_TIMER", "EXECUTE"]
    assert instance.states()[2:4] == [("serviceTask", "TERMINATED"), ("timerBoundaryEvent", "COMPLETED")]


def test_timer_from_the_definitions_needs_no_job(scenario):
    process = deploy(
        scenario,
        "event/timer-boundary.bpmn",
        "timerBoundaryTest",
        timers=[{"bpmnElementId": "timerBoundaryEvent", "timer": {"timeDuration": "PT1H"}}],
    )
    instance = scenario.start(process)
    assert instance.job_types() == ["EXECUTE"]
    scenario.move_time("PT2H")
    instance.execute_tasks()
    instance.is_completed().has_passed("endEventB")


def test_non_interrupting_timer_boundary_fires_each_period(scenario):
    instance = scenario.start(
        deploy(scenario, "event/timer-boundary-non-interrupting.bpmn", "timerBoundaryNonInterruptingTest")
    )
    instance.complete_job("timerBoundaryEvent", completion={"timer": {"timeDuration": "PT1H"}})
    scenario.move_time("PT1H")
    instance.execute_tasks()
    scenario.move_time("PT1H")
    instance.execute_tasks()
    instance.complete_job("serviceTask")
    instance.is_completed()
    assert len(instance.element_instances()) == 9
    assert [e for e, _ in instance.states()].count("endEventB") == 2


def test_timer_catch(scenario):
    instance = scenario.start(deploy(scenario, "event/timer-catch.bpmn", "timerCatchTest"))
    instance.complete_job(completion={"timer": {"timeDuration": "PT1H"}})
    instance.execute_tasks()
    instance.has_state("STARTED")
    scenario.move_time("PT1H")
    instance.execute_tasks()
    instance.is_completed()


def test_a_timer_cycle_starts_an_instance_per_tick_and_a_new_version_takes_over(scenario):
    deploy(
        scenario,
        "event/timer-start.bpmn",
        "timerStartTest",
        timers=[{"bpmnElementId": "timerStartEvent", "timer": {"timeCycle": "0 * * * *"}}],
    )
    scenario.move_time("PT1H")
    scenario.execute_due()
    scenario.move_time("PT1H")
    scenario.execute_due()
    assert len(scenario.instances("timerStartTest")) == 2
    deploy(
        scenario,
        "event/timer-start.v2.bpmn",
        "timerStartTest",
        version="2",
        timers=[
            {"bpmnElementId": "timerStartEvent1", "timer": {"timeCycle": "0 * * * *"}},
            {"bpmnElementId": "timerStartEvent2", "timer": {"timeCycle": "0 * * * *"}},
        ],
    )
    scenario.move_time("PT1H")
    scenario.execute_due()
    versions = sorted(i.get().version for i in scenario.instances("timerStartTest"))
    assert versions == ["1", "1", "2", "2"]


def test_timer_values_in_the_model_xml_are_used(scenario):
    xml = """<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
      <process id="wait" isExecutable="true">
        <startEvent id="s"/><sequenceFlow id="f1" sourceRef="s" targetRef="t"/>
        <intermediateCatchEvent id="t"><timerEventDefinition><timeDuration>PT2S</timeDuration>
        </timerEventDefinition></intermediateCatchEvent>
        <sequenceFlow id="f2" sourceRef="t" targetRef="e"/><endEvent id="e"/>
      </process></definitions>"""
    instance = scenario.start(scenario.deploy(xml, "wait"))
    assert instance.jobs() == []
    [task] = [t for t in instance.tasks() if t.type == "TRIGGER_EVENT"]
    assert 1.9 < (task.due_at - task.created_at).total_seconds() < 2.1
    scenario.move_time("PT2S")
    instance.execute_tasks()
    instance.is_completed()


# --- event-based gateway -----------------------------------------------------------------------


def test_the_first_event_behind_an_event_based_gateway_wins(scenario):
    instance = scenario.start(deploy(scenario, "gateway/event-based.bpmn", "eventBasedTest"))
    assert [s for _, s in instance.states()[2:]] == ["CREATED"] * 4
    instance.complete_job("messageCatchEvent", completion={"messageName": "m", "messageCorrelationKey": "ck"})
    instance.complete_job("signalCatchEvent", completion={"signalName": "s"})
    instance.complete_job("timerCatchEvent", completion={"timer": {"timeDuration": "PT1H"}})
    assert instance.states()[2] == ("eventBasedGateway", "STARTED")
    assert scenario.send_message("m", "ck").correlated
    instance.execute_tasks()
    instance.is_completed()
    assert instance.states()[2:] == [
        ("eventBasedGateway", "COMPLETED"),
        ("messageCatchEvent", "COMPLETED"),
        ("signalCatchEvent", "TERMINATED"),
        ("timerCatchEvent", "TERMINATED"),
        ("messageEnd", "COMPLETED"),
    ]
    assert scenario.send_signal("s").subscriber_count == 0


def test_event_based_gateway_with_defined_events(scenario):
    instance = scenario.start(
        deploy(
            scenario,
            "gateway/event-based-definition.bpmn",
            "eventBasedDefinitionTest",
            signals=[{"bpmnElementId": "signalCatchEvent", "signalName": "go"}],
            timers=[{"bpmnElementId": "timerCatchEvent", "timer": {"timeDuration": "PT1H"}}],
        )
    )
    assert instance.states()[2] == ("eventBasedGateway", "STARTED")
    scenario.send_signal("go")
    instance.execute_tasks()
    instance.is_completed()
    assert instance.states()[2:] == [
        ("eventBasedGateway", "COMPLETED"),
        ("signalCatchEvent", "COMPLETED"),
        ("timerCatchEvent", "TERMINATED"),
        ("signalEnd", "COMPLETED"),
    ]
    timer_tasks = [
        t.state for t in instance.tasks() if t.type == "TRIGGER_EVENT" and t.bpmn_element_id == "timerCatchEvent"
    ]
    assert timer_tasks == ["CANCELED"]


def test_a_non_interrupting_timer_duration_written_in_the_model_fires_once(scenario):
    xml = """<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
      <process id="remind" isExecutable="true">
        <startEvent id="s"/><sequenceFlow id="f1" sourceRef="s" targetRef="work"/>
        <userTask id="work"/><sequenceFlow id="f2" sourceRef="work" targetRef="e"/><endEvent id="e"/>
        <boundaryEvent id="later" attachedToRef="work" cancelActivity="false">
          <timerEventDefinition><timeDuration>PT1H</timeDuration></timerEventDefinition>
        </boundaryEvent>
        <sequenceFlow id="f3" sourceRef="later" targetRef="reminded"/><endEvent id="reminded"/>
      </process></definitions>"""
    instance = scenario.start(scenario.deploy(xml, "remind"))
    for _ in range(3):
        scenario.move_time("PT1H")
        instance.execute_tasks()
    assert [e for e, _ in instance.states()].count("reminded") == 1
    instance.update_user_task(completed=True)
    instance.is_completed()
