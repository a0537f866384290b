"""Real beat fires timers and real workers fan signals out."""

from __future__ import annotations

import time

import pytest

from tests.conftest import conformance_xml

pytestmark = pytest.mark.e2e

TIMER = """<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
  <process id="waitTwoSeconds" isExecutable="true">
    <startEvent id="s"/><sequenceFlow id="f1" sourceRef="s" targetRef="t"/>
    <intermediateCatchEvent id="t"><timerEventDefinition><timeDuration>PT2S</timeDuration>
    </timerEventDefinition></intermediateCatchEvent>
    <sequenceFlow id="f2" sourceRef="t" targetRef="e"/><endEvent id="e"/>
  </process></definitions>"""


def test_a_model_timer_of_two_seconds_fires_with_real_beat_within_three_seconds(stack):
    api = stack.api
    api.deploy(TIMER, "waitTwoSeconds")
    instance = api.start("waitTwoSeconds")
    began = time.monotonic()
    done = api.wait_state(instance, "COMPLETED", timeout=10)
    elapsed = time.monotonic() - began
    assert elapsed < 3.0, f"completed after {elapsed:.2f} s"
    started, ended = done["startedAt"], done["endedAt"]
    assert started < ended


def test_a_message_sent_before_the_subscription_is_correlated_when_the_catch_event_is_reached(stack):
    api = stack.api
    api.deploy(conformance_xml("event/message-catch-definition.bpmn"), "messageCatchDefinitionTest")
    message = api.call(
        "POST",
        "/messages",
        {
            "name": "catchMessageName",
            "correlationKey": "order-7",
            "expirationTimer": {"timeDuration": "PT1H"},
            "workerId": "e2e",
        },
    )
    assert message["correlated"] is False
    instance = api.start("messageCatchDefinitionTest")
    jobs = api.call(
        "POST",
        "/jobs/lock",
        {"workerId": "w", "processInstanceId": instance["id"], "partition": instance["partition"], "timeout": 10_000},
    )["jobs"]
    api.call(
        "PATCH",
        f"/jobs/{jobs[0]['partition']}/{jobs[0]['id']}/complete",
        {"workerId": "w", "completion": {"messageCorrelationKey": "order-7"}},
    )
    api.wait_state(instance, "COMPLETED")
    [stored] = api.call("POST", "/messages/query", {"id": message["id"]})["results"]
    assert stored["correlated"] is True


def test_a_signal_with_a_thousand_subscribers_completes_all_of_them(stack):
    api = stack.api
    api.deploy(conformance_xml("event/signal-catch-definition.bpmn"), "signalCatchDefinitionTest")
    for _ in range(1000):
        api.start("signalCatchDefinitionTest")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        waiting = api.call("POST", "/signals/subscriptions/query?limit=1000", {"name": "testSignalName"})["count"]
        if waiting == 1000:
            break
        time.sleep(0.5)
    assert waiting == 1000
    sent = api.call("POST", "/signals", {"name": "testSignalName", "workerId": "e2e"})
    assert sent["subscriberCount"] == 1000
    while time.monotonic() < deadline:
        done = api.call(
            "POST",
            "/process-instances/query?limit=1000",
            {"bpmnProcessId": "signalCatchDefinitionTest", "state": "COMPLETED"},
        )["count"]
        if done == 1000:
            break
        time.sleep(0.5)
    assert done == 1000
