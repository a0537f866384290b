"""The operator commands of ``baton`` against a running Baton, through the real entry point."""

from __future__ import annotations

import json
import os
import pty
import subprocess
from pathlib import Path

import pytest

from tests.cli_runner import BATON, CliResult, run_baton
from tests.client.conftest import ROOT_EXAMPLES, service_tasks_model, unique, wait_for, wait_state
from tests.e2e.conftest import free_port

pytestmark = pytest.mark.e2e

ORDER = ROOT_EXAMPLES / "order.bpmn"


@pytest.fixture(scope="module")
def baton_cli(stack):
    """Run ``baton ARGS --url … --api-key …``."""

    def run(*args: str, key: str | None = None, url: str | None = None) -> CliResult:
        return run_baton(*args, "--url", url or stack.api.url, "--api-key", key or stack.api.key)

    return run


def document(result: CliResult) -> dict:
    assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr)
    return json.loads(result.stdout)


def test_deploy_uses_a_content_hash_version_and_is_repeatable(baton_cli):
    first = baton_cli("deploy", str(ORDER))
    assert first.exit_code == 0, first.stderr
    assert "deployed order version" in first.stdout
    again = document(baton_cli("deploy", str(ORDER), "--json"))
    assert again["count"] == 1 and again["results"][0]["bpmnProcessId"] == "order"
    assert again["results"][0]["version"] in first.stdout
    listed = document(baton_cli("processes", "--process", "order", "--json"))
    assert [p["version"] for p in listed["results"]] == [again["results"][0]["version"]]
    table = baton_cli("processes")
    assert table.exit_code == 0 and "order" in table.stdout


def test_start_count_prints_the_rate_and_instances_lists_them(baton_cli):
    baton_cli("deploy", str(ORDER))
    key = unique("batch")
    result = baton_cli(
        "start", "order", "--count", "5", "--var", "total=50", "--var", "note=hi", "--correlation-key", key
    )
    assert result.exit_code == 0, result.stderr
    assert "started 5 instances of order" in result.stdout and "/s)" in result.stdout
    listed = document(baton_cli("instances", "--process", "order", "--correlation-key", key, "--json"))
    assert listed["count"] == 5 and {i["correlationKey"] for i in listed["results"]} == {key}
    table = baton_cli("instances", "--process", "order", "--limit", "3")
    assert table.exit_code == 0 and "order" in table.stdout


def test_show_prints_the_token_tree_open_jobs_and_variables(baton_cli, baton):
    job_type = unique("show")
    process_id = unique("shown")
    baton.processes.deploy(service_tasks_model(process_id, [job_type]), process_id, "1")
    started = document(baton_cli("start", process_id, "--var", "total=150", "--var", "who=ann", "--json"))
    address = f"{started['partition']}/{started['id']}"
    wait_for(lambda: baton.jobs.query(partition=started["partition"], process_instance_id=started["id"]))
    result = baton_cli("show", address)
    assert result.exit_code == 0, result.stderr
    for text in (process_id, "task0", "SERVICE_TASK", "STARTED", "open jobs", job_type, "variables", '"ann"', "150"):
        assert text in result.stdout, (text, result.stdout)
    shown = document(baton_cli("show", address, "--json"))
    assert shown["processInstance"]["id"] == started["id"]
    assert {e["bpmnElementId"] for e in shown["elementInstances"]} >= {process_id, "start", "task0"}
    assert [j["jobType"] for j in shown["jobs"]] == [job_type]
    jobs = document(baton_cli("jobs", "--instance", address, "--json"))
    assert [j["state"] for j in jobs["results"]] == ["CREATED"]


def test_suspend_resume_and_cancel_with_a_reason(baton_cli, baton):
    process_id = unique("cancel")
    baton.processes.deploy(service_tasks_model(process_id, [unique("t")]), process_id, "1")
    instance = wait_state(baton, baton.process_instances.start(process_id), "STARTED")
    address = f"{instance.partition}/{instance.id}"
    assert "SUSPENDED" in baton_cli("suspend", address).stdout
    assert document(baton_cli("resume", address, "--json"))["state"] == "STARTED"
    canceled = document(baton_cli("cancel", address, "--reason", "duplicate order", "--json"))
    assert canceled["state"] == "CANCELED" and canceled["endReason"] == "duplicate order"
    again = baton_cli("cancel", address)
    assert again.exit_code == 3
    assert "Error:" in again.stderr and "409" in again.stderr


def test_incidents_and_resolve(baton_cli, baton):
    job_type = unique("broken")
    process_id = unique("incident")
    baton.processes.deploy(service_tasks_model(process_id, [job_type]), process_id, "1")
    instance = baton.process_instances.start(process_id)
    job = wait_for(lambda: baton.jobs.lock("cli-tests", types=[job_type], timeout_ms=2000))[0]
    baton.jobs.fail(job, error="printer on fire", retry_limit=0)
    open_incidents = document(
        baton_cli("incidents", "--open", "--instance", f"{instance.partition}/{instance.id}", "--json")
    )
    assert [i["error"] for i in open_incidents["results"]] == ["printer on fire"]
    incident = open_incidents["results"][0]
    table = baton_cli("incidents", "--open")
    assert "printer on fire" in table.stdout
    resolved = baton_cli("resolve", f"{incident['partition']}/{incident['id']}", "--retry-timer", "PT0S")
    assert resolved.exit_code == 0 and "resolved incident" in resolved.stdout
    still_open = document(
        baton_cli("incidents", "--open", "--instance", f"{instance.partition}/{instance.id}", "--json")
    )
    assert still_open["count"] == 0
    retry = wait_for(lambda: baton.jobs.lock("cli-tests", types=[job_type], timeout_ms=2000))[0]
    assert retry.retry_count == 0


def test_vars_set_and_get(baton_cli, baton):
    process_id = unique("vars")
    baton.processes.deploy(service_tasks_model(process_id, [unique("t")]), process_id, "1")
    instance = wait_state(baton, baton.process_instances.start(process_id), "STARTED")
    address = f"{instance.partition}/{instance.id}"
    assert baton_cli("vars", "set", address, "n=42", "flag=true", "name=plain text", 'obj={"a":1}').exit_code == 0
    assert baton.variables.get_process(instance) == {"n": 42, "flag": True, "name": "plain text", "obj": {"a": 1}}
    got = document(baton_cli("vars", "get", address, "n", "obj", "--json"))
    assert {v["name"]: json.loads(v["data"]["value"]) for v in got["variables"]} == {"n": 42, "obj": {"a": 1}}
    table = baton_cli("vars", "get", address)
    assert "plain text" in table.stdout


def test_time_get_and_set(baton_cli):
    now = document(baton_cli("time", "get", "--json"))["time"]
    moved = document(baton_cli("time", "set", "--add", "PT1S", "--json"))["time"]
    assert moved > now
    assert baton_cli("time", "set", "--at", "2001-01-01T00:00:00Z").exit_code == 3
    assert baton_cli("time", "set").exit_code == 1


def test_exit_codes_scripts_can_trust(baton_cli, baton, tmp_path: Path):
    assert baton_cli("show", "2001-01-01/1").exit_code == 2
    process_id = unique("codes")
    baton.processes.deploy(service_tasks_model(process_id, ["a"]), process_id, "1")
    changed = tmp_path / "changed.bpmn"
    changed.write_text(service_tasks_model(process_id, ["a", "b"]))
    conflict = baton_cli("deploy", str(changed), "--version", "1")
    assert conflict.exit_code == 3 and "CONFLICT" in conflict.stderr
    invalid = baton_cli("start", process_id, "--var", "a,b=1")
    assert invalid.exit_code == 4
    assert "#/variables/a,b" in invalid.stderr  # each pointer of the problem is printed
    assert baton_cli("processes", url=f"http://127.0.0.1:{free_port()}").exit_code == 5
    assert baton_cli("processes", key="wrong-key").exit_code == 6
    assert baton_cli("show", "not-an-address").exit_code == 1
    assert baton_cli("start").exit_code == 1


def user_task_model(process_id: str) -> str:
    """start → one user task → end."""
    return f"""<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d{process_id}">
  <bpmn:process id="{process_id}" isExecutable="true">
    <bpmn:startEvent id="start" /><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review" />
    <bpmn:userTask id="review" name="Review" /><bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>"""


def started(baton, process_id: str, count: int, **extra) -> list:
    """``count`` instances of a process, each waiting in its first task, in the order started."""
    instances = [baton.process_instances.start(process_id, **extra) for _ in range(count)]
    return [wait_state(baton, instance, "STARTED") for instance in instances]


def addresses(document_: dict) -> list[str]:
    return [f"{item['partition']}/{item['id']}" for item in document_["results"]]


def test_instances_lists_the_newest_running_ones_first_and_says_how_many_more(baton_cli, baton):
    process_id = unique("listed")
    baton.processes.deploy(service_tasks_model(process_id, [unique("t")]), process_id, "1")
    instances = started(baton, process_id, 5)
    baton.process_instances.cancel(instances[0])
    newest_first = [f"{i.partition}/{i.id}" for i in reversed(instances)]
    running = document(baton_cli("instances", "--process", process_id, "--json"))
    assert addresses(running) == newest_first[:4] and running["total"] == 4
    everything = document(baton_cli("instances", "--process", process_id, "--all", "--json"))
    assert addresses(everything) == newest_first and everything["total"] == 5
    table = baton_cli("instances", "--process", process_id, "--limit", "2")
    assert table.exit_code == 0
    assert table.stdout.index(newest_first[0]) < table.stdout.index(newest_first[1])
    assert "showing 1-2 of 4 open instances (newest first); --limit/--offset for more" in table.stdout
    second_page = baton_cli("instances", "--process", process_id, "--limit", "2", "--offset", "2")
    assert "showing 3-4 of 4 open instances" in second_page.stdout and newest_first[2] in second_page.stdout
    canceled = baton_cli("instances", "--process", process_id, "--state", "CANCELED")
    assert newest_first[4] in canceled.stdout and "1 instances (newest first)" in canceled.stdout
    none = baton_cli("instances", "--process", unique("nothing"))
    assert "no open instances (--all for every state)" in none.stdout


def test_jobs_and_user_tasks_list_open_items_by_default(baton_cli, baton):
    job_type = unique("open")
    process_id = unique("jobs")
    baton.processes.deploy(service_tasks_model(process_id, [job_type]), process_id, "1")
    first, second = started(baton, process_id, 2)
    wait_for(lambda: baton.jobs.query(partition=second.partition, process_instance_id=second.id))
    baton.process_instances.cancel(first)
    open_jobs = document(baton_cli("jobs", "--type", job_type, "--json"))
    assert [j["processInstanceId"] for j in open_jobs["results"]] == [second.id] and open_jobs["total"] == 1
    all_jobs = document(baton_cli("jobs", "--type", job_type, "--all", "--json"))
    # Newest first means by job id: the two START tasks run concurrently, so which instance's job
    # was created first is up to the workers, not the order the instances were created in.
    ids = [j["id"] for j in all_jobs["results"]]
    assert ids == sorted(ids, reverse=True) and len(ids) == 2
    states = {j["processInstanceId"]: j["state"] for j in all_jobs["results"]}
    assert states == {second.id: "CREATED", first.id: "CANCELED"}

    tasks_process = unique("inbox")
    baton.processes.deploy(user_task_model(tasks_process), tasks_process, "1")
    one, two = started(baton, tasks_process, 2)
    wait_for(lambda: baton.user_tasks.query(partition=two.partition, process_instance_id=two.id))
    baton.process_instances.cancel(one)
    for instance, states in ((one, ["CANCELED"]), (two, ["STARTED"])):
        address = f"{instance.partition}/{instance.id}"
        shown = document(baton_cli("tasks", "--instance", address, "--all", "--json"))
        assert [t["state"] for t in shown["results"]] == states
    opened = document(baton_cli("tasks", "--instance", f"{one.partition}/{one.id}", "--json"))
    assert opened["results"] == [] and opened["total"] == 0


def test_send_message_takes_the_same_correlation_key_option_as_start(baton_cli):
    name = unique("msg")
    new = document(baton_cli("send-message", name, "--correlation-key", "k-1", "--expires", "PT1H", "--json"))
    old = document(baton_cli("send-message", name, "--key", "k-2", "--expires", "PT1H", "--json"))
    assert (new["correlationKey"], old["correlationKey"]) == ("k-1", "k-2")


def test_cancel_many_by_address_or_by_process_with_a_summary(baton_cli, baton):
    process_id = unique("batch")
    baton.processes.deploy(service_tasks_model(process_id, [unique("t")]), process_id, "1")
    instances = started(baton, process_id, 5)
    named = [f"{i.partition}/{i.id}" for i in instances[:2]]
    result = baton_cli("cancel", *named, "--reason", "batch")
    assert result.exit_code == 0, result.stderr
    assert "canceled 2 of 2 instances" in result.stdout
    again = baton_cli("cancel", named[0], f"{instances[2].partition}/{instances[2].id}")
    assert again.exit_code == 3 and "canceled 1 of 2 instances" in again.stdout and named[0] in again.stdout
    unconfirmed = baton_cli("cancel", "--process", process_id)
    assert unconfirmed.exit_code == 1 and "--yes" in unconfirmed.stderr
    assert baton.process_instances.get(instances[3]).state == "STARTED"  # nothing changed
    confirmed = document(baton_cli("cancel", "--process", process_id, "--yes", "--json"))
    assert confirmed["count"] == 2 and confirmed["errors"] == []
    assert {baton.process_instances.get(i).state for i in instances} == {"CANCELED"}
    assert baton.process_instances.get(instances[0]).end_reason == "batch"


def test_resolve_every_open_incident_of_an_instance(baton_cli, baton):
    job_type = unique("flaky")
    process_id = unique("resolve")
    baton.processes.deploy(service_tasks_model(process_id, [job_type, job_type]), process_id, "1")
    instance = started(baton, process_id, 1)[0]
    job = wait_for(lambda: baton.jobs.lock("cli-tests", types=[job_type], timeout_ms=2000))[0]
    baton.jobs.fail(job, error="first failure", retry_limit=0)
    address = f"{instance.partition}/{instance.id}"
    wait_for(lambda: baton.incidents.query(partition=instance.partition, process_instance_id=instance.id))
    result = baton_cli("resolve", "--instance", address, "--yes")
    assert result.exit_code == 0, result.stderr
    assert "resolved 1 of 1 incidents" in result.stdout
    assert document(baton_cli("incidents", "--instance", address, "--json"))["count"] == 0
    assert document(baton_cli("incidents", "--instance", address, "--all", "--json"))["count"] == 1


def test_deploy_of_a_folder_deploys_every_file_and_lists_the_refused_ones(baton_cli, tmp_path: Path):
    good = [unique("folder"), unique("folder")]
    for index, process_id in enumerate(good):
        (tmp_path / f"{index}.bpmn").write_text(service_tasks_model(process_id, ["t"]))
    nested = tmp_path / "more"
    nested.mkdir()
    (nested / "broken.bpmn").write_text(service_tasks_model(unique("broken"), ["t"]).replace('targetRef="end"', ""))
    (nested / "notes.txt").write_text("not a model")
    result = baton_cli("deploy", str(tmp_path))
    assert result.exit_code == 4, (result.stdout, result.stderr)
    assert "2 of 3 processes from 3 files deployed" in result.stdout
    assert "broken.bpmn" in result.stderr and "422" in result.stderr
    assert "━" not in result.stderr  # no progress bar without a terminal
    deployed = document(baton_cli("processes", "--json"))
    assert set(good) <= {p["bpmnProcessId"] for p in deployed["results"]}


def test_long_commands_show_a_progress_bar_on_a_terminal_and_a_summary_when_piped(stack, baton):
    process_id = unique("progress")
    baton.processes.deploy(service_tasks_model(process_id, [unique("t")]), process_id, "1")
    args = ["start", process_id, "--count", "20", "--url", stack.api.url, "--api-key", stack.api.key]
    piped = run_baton(*args)
    assert piped.exit_code == 0, piped.stderr
    assert f"started 20 instances of {process_id}" in piped.stdout and "━" not in piped.stderr
    controller, terminal = pty.openpty()
    try:
        process = subprocess.Popen([str(BATON), *args], stdin=terminal, stdout=terminal, stderr=terminal)
        os.close(terminal)
        shown = b""
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the terminal closed: the command is done
                break
            if not chunk:
                break
            shown += chunk
        assert process.wait(60) == 0
    finally:
        os.close(controller)
    text = shown.decode(errors="replace")
    assert "starting" in text and "━" in text and "/20" in text, text  # the bar: label, bar, M/N
    assert f"started 20 instances of {process_id}" in text
