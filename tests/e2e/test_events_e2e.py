"""Real beat fires timers and real workers fan signals out."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.conftest import conformance_xml
from tests.waiting import LOCK_TIMEOUT_MS, wait_for

pytestmark = pytest.mark.e2e

TIMER = """<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
  <process id="waitTwoSeconds" isExecutable="true">
    <startEvent id="s"/><sequenceFlow id="f1" sourceRef="s" targetRef="t"/>
    <intermediateCatchEvent id="t"><timerEventDefinition><timeDuration>PT2S</timeDuration>
    </timerEventDefinition></intermediateCatchEvent>
    <sequenceFlow id="f2" sourceRef="t" targetRef="e"/><endEvent id="e"/>
  </process></definitions>"""


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_a_model_timer_of_two_seconds_fires_with_real_beat(stack):
    """Beat's sweep fires the timer at its engine time, never before. How soon after is a
    figure of bench/timer_latency.py, not a check here."""
    api = stack.api
    api.deploy(TIMER, "waitTwoSeconds")
    instance = api.start("waitTwoSeconds")
    done = api.wait_state(instance, "COMPLETED")
    started, ended = parse_time(done["startedAt"]), parse_time(done["endedAt"])
    assert ended - started >= timedelta(seconds=2)  # engine timestamps: the timer did not fire early


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
        {
            "workerId": "w",
            "processInstanceId": instance["id"],
            "partition": instance["partition"],
            "timeout": LOCK_TIMEOUT_MS,
        },
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
    # A thousand instances on 2 Celery processes: a deadline of its own, still a hang detector.
    wait_for(
        lambda: api.call("POST", "/signals/subscriptions/query?limit=1000", {"name": "testSignalName"})["count"],
        lambda waiting: waiting == 1000,
        timeout=120,
        interval=0.5,
        what="1000 signal subscriptions",
    )
    sent = api.call("POST", "/signals", {"name": "testSignalName", "workerId": "e2e"})
    assert sent["subscriberCount"] == 1000
    wait_for(
        lambda: api.call(
            "POST",
            "/process-instances/query?limit=1000",
            {"bpmnProcessId": "signalCatchDefinitionTest", "state": "COMPLETED"},
        )["count"],
        lambda done: done == 1000,
        timeout=120,
        interval=0.5,
        what="1000 instances COMPLETED",
    )
