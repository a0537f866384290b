"""The operator commands of ``baton`` against a running Baton (click's CliRunner)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli.main import cli
from tests.client.conftest import ROOT_EXAMPLES, service_tasks_model, unique, wait_for, wait_state
from tests.e2e.conftest import free_port

pytestmark = pytest.mark.e2e

ORDER = ROOT_EXAMPLES / "order.bpmn"


@pytest.fixture(scope="module")
def baton_cli(stack):
    """Run ``baton ARGS --url … --api-key …``."""

    def run(*args: str, key: str | None = None, url: str | None = None) -> Result:
        options = ["--url", url or stack.api.url, "--api-key", key or stack.api.key]
        return CliRunner().invoke(cli, [*args, *options], catch_exceptions=False)

    return run


def document(result: Result) -> dict:
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
