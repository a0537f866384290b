"""Messages, signals and user tasks through the client and the CLI."""

from __future__ import annotations

import json

import pytest

from client import Conflict
from tests.cli_runner import CliResult, run_baton
from tests.client.conftest import ZEEBE_HEADER, unique, wait_for, wait_state

pytestmark = pytest.mark.e2e


def catch_model(process_id: str, kind: str, name: str) -> str:
    """start → a message (correlated by ``=orderId``) or signal catch event → end."""
    if kind == "message":
        definition = f'<bpmn:messageEventDefinition id="{process_id}Def" messageRef="{process_id}Msg" />'
        declaration = (
            f'<bpmn:message id="{process_id}Msg" name="{name}"><bpmn:extensionElements>'
            '<zeebe:subscription correlationKey="=orderId" /></bpmn:extensionElements></bpmn:message>'
        )
    else:
        definition = f'<bpmn:signalEventDefinition id="{process_id}Def" signalRef="{process_id}Sig" />'
        declaration = f'<bpmn:signal id="{process_id}Sig" name="{name}" />'
    return f"""{ZEEBE_HEADER.format(process_id=process_id)}
  <bpmn:process id="{process_id}" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait" />
    <bpmn:intermediateCatchEvent id="wait">{definition}</bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
  {declaration}
</bpmn:definitions>"""


def approval_model(process_id: str) -> str:
    """start → a user task for the group ``clerks`` → end."""
    return f"""{ZEEBE_HEADER.format(process_id=process_id)}
  <bpmn:process id="{process_id}" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="approve" />
    <bpmn:userTask id="approve" name="Approve order">
      <bpmn:extensionElements><zeebe:assignmentDefinition candidateGroups="clerks" /></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f2" sourceRef="approve" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>"""


@pytest.fixture(scope="module")
def baton_cli(stack):
    """Run the real ``baton`` entry point against the module's stack."""

    def run(*args: str) -> CliResult:
        return run_baton(*args, "--url", stack.api.url, "--api-key", stack.api.key)

    return run


def test_a_message_reaches_the_waiting_instance_with_its_variables(baton):
    process_id, name = unique("pay"), unique("paid")
    baton.processes.deploy(catch_model(process_id, "message", name), process_id, "1")
    instance = baton.process_instances.start(process_id, variables={"orderId": "o-1"})
    subscriptions = wait_for(
        lambda: baton.messages.query_subscriptions(partition=instance.partition, process_instance_id=instance.id)
    )
    assert subscriptions[0].name == name and subscriptions[0].correlation_key == "o-1"
    message = baton.messages.send(name, "o-1", variables={"amount": 12.5})
    assert message.name == name and message.correlation_key == "o-1" and message.id > 0
    wait_state(baton, instance, "COMPLETED")
    assert baton.variables.get_process(instance) == {"orderId": "o-1", "amount": 12.5}
    assert [m.id for m in baton.messages.query(name=name)] == [message.id]
    assert baton.messages.query(id=message.id)[0].correlated


def test_a_buffered_message_with_a_unique_key_is_sent_once(baton):
    name = unique("later")
    first = baton.messages.send(name, "k", unique_key="u1", expiration="PT1H")
    again = baton.messages.send(name, "k", unique_key="u1", expiration="PT1H")
    assert again.id == first.id and first.expires_at > first.created_at and not first.correlated
    assert [m.id for m in baton.messages.query(name=name, exclude_expired=True)] == [first.id]


def test_a_signal_reaches_every_subscriber(baton):
    process_id, name = unique("sig"), unique("go")
    baton.processes.deploy(catch_model(process_id, "signal", name), process_id, "1")
    instances = [baton.process_instances.start(process_id) for _ in range(2)]
    wait_for(lambda: len(baton.signals.query_subscriptions(name=name)) == 2)
    signal = baton.signals.send(name, variables={"go": True})
    assert signal.subscriber_count == 2 and signal.name == name
    for instance in instances:
        wait_state(baton, instance, "COMPLETED")
        assert baton.variables.get_process(instance) == {"go": True}


def test_user_tasks_are_claimed_and_completed_at_their_revision(baton):
    process_id = unique("approval")
    baton.processes.deploy(approval_model(process_id), process_id, "1")
    instance = baton.process_instances.start(process_id)
    [task] = wait_for(lambda: baton.user_tasks.query(partition=instance.partition, process_instance_id=instance.id))
    assert task.state == "STARTED" and task.name == "Approve order" and task.candidate_groups == ("clerks",)
    assert task.id in [t.id for t in baton.user_tasks.query(candidate_group="clerks", states="STARTED")]
    claimed = baton.user_tasks.claim(task, "ann")
    assert claimed.assignee == "ann" and claimed.revision > task.revision
    with pytest.raises(Conflict):
        baton.user_tasks.claim(task, "bob")
    assert baton.user_tasks.unclaim(task).assignee is None
    assert baton.user_tasks.assign(task, "carl").assignee == "carl"
    with pytest.raises(Conflict):
        baton.user_tasks.update(task, revision=task.revision, completed=True)  # stale revision
    done = baton.user_tasks.complete(task, variables={"approved": True})
    assert done.state == "COMPLETED" and done.ended_at is not None
    wait_state(baton, instance, "COMPLETED")
    assert baton.variables.get_process(instance) == {"approved": True}


def test_cli_sends_messages_and_signals(baton_cli, baton):
    process_id, name = unique("climsg"), unique("cli")
    baton.processes.deploy(catch_model(process_id, "message", name), process_id, "1")
    instance = baton.process_instances.start(process_id, variables={"orderId": "o-9"})
    wait_for(lambda: baton.messages.query_subscriptions(partition=instance.partition, process_instance_id=instance.id))
    result = baton_cli("send-message", name, "--key", "o-9", "--var", "paid=true", "--unique-key", "x")
    assert result.exit_code == 0, result.output
    wait_state(baton, instance, "COMPLETED")
    assert baton.variables.get_process(instance)["paid"] is True
    buffered = json.loads(baton_cli("send-message", unique("none"), "--key", "k", "--expires", "PT1H", "--json").stdout)
    assert buffered["correlated"] is False and buffered["expiresAt"]
    signal = baton_cli("send-signal", unique("nobody"), "--var", "x=1")
    assert signal.exit_code == 0 and "0 subscribers" in signal.stdout


def test_cli_lists_claims_and_completes_user_tasks(baton_cli, baton):
    process_id = unique("cliapproval")
    baton.processes.deploy(approval_model(process_id), process_id, "1")
    instance = baton.process_instances.start(process_id)
    [task] = wait_for(lambda: baton.user_tasks.query(partition=instance.partition, process_instance_id=instance.id))
    address = f"{task.partition}/{task.id}"
    listed = json.loads(baton_cli("tasks", "--candidate-group", "clerks", "--state", "STARTED", "--json").stdout)
    assert task.id in [t["id"] for t in listed["results"]]
    table = baton_cli("tasks", "--candidate-group", "clerks")
    assert "Approve order" in table.stdout
    claimed = baton_cli("tasks", "claim", address, "--user", "ann")
    assert claimed.exit_code == 0 and "ann" in claimed.stdout
    assert baton_cli("tasks", "claim", address, "--user", "bob").exit_code == 3
    assert json.loads(baton_cli("tasks", "unclaim", address, "--json").stdout).get("assignee") is None
    assert "carl" in baton_cli("tasks", "assign", address, "--assignee", "carl").stdout
    completed = baton_cli("tasks", "complete", address, "--var", "approved=true")
    assert completed.exit_code == 0 and "COMPLETED" in completed.stdout
    wait_state(baton, instance, "COMPLETED")
    assert baton.variables.get_process(instance) == {"approved": True}
