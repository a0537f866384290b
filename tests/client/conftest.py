"""Fixtures of the client tests: a running Baton (the e2e ``stack``), a ``BatonClient`` on it,
and small Zeebe-dialect models with unique process ids and job types, so that the tests of one
module (which share one stack) never pick up each other's jobs."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from requests.adapters import HTTPAdapter

from client import BatonClient, ProcessInstance
from tests.e2e.conftest import stack  # noqa: F401 - the fixture, re-exported
from tests.waiting import DEADLINE, wait_for  # noqa: F401 - wait_for re-exported for the client tests

ROOT_EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

ZEEBE_HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
                  xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"
                  id="{process_id}Definitions" targetNamespace="http://bpmn.io/schema/bpmn">"""


def unique(prefix: str) -> str:
    """A name no other test uses."""
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def service_tasks_model(
    process_id: str, job_types: list[str], error_code: str | None = None, escalation_code: str | None = None
) -> str:
    """start → one service task per job type (ids ``task0``, ``task1``, …) → end; with
    ``error_code`` (or ``escalation_code``) an error (escalation) boundary event on ``task0`` leads
    to the end event ``caught``."""
    parts = [ZEEBE_HEADER.format(process_id=process_id), f'  <bpmn:process id="{process_id}" isExecutable="true">']
    parts.append('    <bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>')
    for index, job_type in enumerate(job_types):
        parts.append(
            f'    <bpmn:serviceTask id="task{index}"><bpmn:extensionElements>'
            f'<zeebe:taskDefinition type="{job_type}" /></bpmn:extensionElements>'
            f"<bpmn:incoming>f{index}</bpmn:incoming><bpmn:outgoing>f{index + 1}</bpmn:outgoing></bpmn:serviceTask>"
        )
        source = "start" if index == 0 else f"task{index - 1}"
        parts.append(f'    <bpmn:sequenceFlow id="f{index}" sourceRef="{source}" targetRef="task{index}" />')
    last = len(job_types)
    parts.append(f'    <bpmn:sequenceFlow id="f{last}" sourceRef="task{last - 1}" targetRef="end" />')
    parts.append(f'    <bpmn:endEvent id="end"><bpmn:incoming>f{last}</bpmn:incoming></bpmn:endEvent>')
    if error_code or escalation_code:
        definition = (
            '<bpmn:errorEventDefinition id="onErrorDefinition" errorRef="failure" />'
            if error_code
            else '<bpmn:escalationEventDefinition id="onErrorDefinition" escalationRef="failure" />'
        )
        parts.append(
            '    <bpmn:boundaryEvent id="onError" attachedToRef="task0"><bpmn:outgoing>fe</bpmn:outgoing>'
            f"{definition}</bpmn:boundaryEvent>"
        )
        parts.append('    <bpmn:sequenceFlow id="fe" sourceRef="onError" targetRef="caught" />')
        parts.append('    <bpmn:endEvent id="caught"><bpmn:incoming>fe</bpmn:incoming></bpmn:endEvent>')
    parts.append("  </bpmn:process>")
    if error_code:
        parts.append(f'  <bpmn:error id="failure" name="failure" errorCode="{error_code}" />')
    if escalation_code:
        parts.append(f'  <bpmn:escalation id="failure" name="failure" escalationCode="{escalation_code}" />')
    parts.append("</bpmn:definitions>")
    return "\n".join(parts)


class RecordingAdapter(HTTPAdapter):
    """A transport adapter that counts and records every request it sends (to the real server)."""

    def __init__(self) -> None:
        super().__init__(max_retries=0)
        self.sent: list[requests.PreparedRequest] = []

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        self.sent.append(request)
        return super().send(request, *args, **kwargs)


def record_requests(baton: BatonClient) -> RecordingAdapter:
    """Mount a :class:`RecordingAdapter` on the client's session and return it."""
    adapter = RecordingAdapter()
    baton.transport.session.mount("http://", adapter)
    return adapter


@pytest.fixture(scope="module")
def baton(stack: Any) -> Iterator[BatonClient]:  # noqa: F811 - the fixture above
    """A client of the module's stack."""
    client = BatonClient(stack.api.url, stack.api.key, worker_id="client-tests", retries=1, backoff=0.05)
    yield client
    client.close()


@pytest.fixture
def deploy(baton: BatonClient) -> Callable[..., str]:
    """Deploy a fresh service-task model; returns its process id."""

    def make(
        job_types: list[str], error_code: str | None = None, escalation_code: str | None = None, prefix: str = "proc"
    ) -> str:
        process_id = unique(prefix)
        xml = service_tasks_model(process_id, job_types, error_code, escalation_code)
        baton.processes.deploy(xml, process_id, "1")
        return process_id

    return make


def wait_state(baton: BatonClient, instance: ProcessInstance, state: str, timeout: float = DEADLINE) -> ProcessInstance:
    """Wait until an instance is in ``state`` (the SDK's own poll, with the suite's deadline)."""
    return baton.process_instances.wait(instance, states={state}, timeout=timeout, interval=0.1)
