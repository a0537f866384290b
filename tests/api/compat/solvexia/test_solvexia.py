"""The Solvexia process runs facade: each curl example of the seed, translated to this host, ids
and key and nothing else, over the real database; runs created through the native API without
starting, started here, driven to completion by a job worker and a user-task completion."""

from __future__ import annotations

import re
import shlex

import pytest

MONTH_END = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
             xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="monthEnd">
  <process id="monthEnd" name="Month end close" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="loadData"/>
    <serviceTask id="loadData" name="Load data">
      <extensionElements><zeebe:taskDefinition type="load"/></extensionElements>
    </serviceTask>
    <sequenceFlow id="f2" sourceRef="loadData" targetRef="reconcile"/>
    <subProcess id="reconcile" name="Reconcile">
      <startEvent id="reconcileStart"/>
      <sequenceFlow id="r1" sourceRef="reconcileStart" targetRef="matchLedgers"/>
      <serviceTask id="matchLedgers" name="Match ledgers">
        <extensionElements><zeebe:taskDefinition type="match"/></extensionElements>
      </serviceTask>
      <sequenceFlow id="r2" sourceRef="matchLedgers" targetRef="reconcileEnd"/>
      <endEvent id="reconcileEnd"/>
    </subProcess>
    <sequenceFlow id="f3" sourceRef="reconcile" targetRef="approve"/>
    <userTask id="approve"/>
    <sequenceFlow id="f4" sourceRef="approve" targetRef="end"/>
    <endEvent id="end"/>
  </process>
</definitions>"""

RUN_ID = re.compile(r"^pr-\d{8}-\d+$")
DATE_7 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}$")
DATE_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}$")
DATE_MS_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
RUN_STATUS_KEYS = ["id", "dateStarted", "dateFinished", "runDurationInSeconds", "runDurationInSec", "status"]
STEP_STATUS_KEYS = [
    "id",
    "dateFinished",
    "dateStarted",
    "runDurationInSec",
    "runDurationInSeconds",
    "status",
    "completionMessage",
]


@pytest.fixture
def facades() -> tuple[str, ...]:
    return ("solvexia",)


@pytest.fixture
def process(client):
    """The Month End process, deployed."""
    response = client.post(
        "/processes", json={"bpmnProcessId": "monthEnd", "bpmnXml": MONTH_END, "version": "1", "workerId": "t"}
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


@pytest.fixture
def curl(app, api_key):
    """Requests as the seed's curl lines send them: ``Authorization: Bearer <key>``, no body
    unless ``-d`` (then ``Content-Type: application/json``)."""
    http = app.test_client()

    def send(method, path, data=None):
        headers = {"Authorization": f"Bearer {api_key}"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        return http.open(path, method=method, headers=headers, data=data)

    return send


def create_run(client, **tags):
    """A run: a native instance created without starting."""
    response = client.post(
        "/process-instances", json={"bpmnProcessId": "monthEnd", "workerId": "t", "start": False, "tags": tags}
    )
    assert response.status_code == 201, response.get_json()
    instance = response.get_json()
    return f"pr-{instance['partition'].replace('-', '')}-{instance['id']}"


def run_engine(client):
    """Run due engine tasks (what the Celery workers do in production)."""
    while client.post("/tasks/execute", json={"limit": 100}).get_json()["locked"]:
        pass


def work_job(client, job_type, **outcome):
    """A job worker: lock one job of ``job_type`` and complete (or fail) it."""
    response = client.post("/jobs/lock", json={"workerId": "worker", "types": [job_type], "limit": 1})
    [job] = response.get_json()["jobs"]
    done = client.patch(f"/jobs/{job['partition']}/{job['id']}/complete", json={"workerId": "worker", **outcome})
    assert done.status_code in (200, 204), done.get_json()
    run_engine(client)


def complete_user_task(client):
    [task] = client.post("/user-tasks/query", json={"states": ["STARTED"]}).get_json()["results"]
    done = client.patch(
        f"/user-tasks/{task['partition']}/{task['id']}",
        json={"workerId": "ann", "revision": task["revision"], "completed": True},
    )
    assert done.status_code == 200, done.get_json()
    run_engine(client)


def ok(response):
    assert response.status_code == 200, response.get_json()
    assert response.mimetype == "application/json"
    return response.get_json()


def test_get_a_process_run(client, curl, process):
    run = create_run(client, description="Description here", alertEmailAddress="ops@example.com")
    body = ok(curl("GET", f"/v1/processruns/{run}"))
    assert list(body) == [
        "id",
        "name",
        "process",
        "alertEmailAddress",
        "alertSMS",
        "description",
        "lastModifiedBy",
        "dateModified",
        "dateCreated",
    ]
    assert body["id"] == run and RUN_ID.match(run)
    assert body["name"] == f"Month end close : run #{run.rsplit('-', 1)[1]}"
    assert body["process"] == f"p-{process['id']}"
    assert body["description"] == "Description here" and body["alertEmailAddress"] == "ops@example.com"
    assert body["alertSMS"] == "" and body["lastModifiedBy"] == "t"
    assert DATE_7.match(body["dateCreated"]) and body["dateModified"] == body["dateCreated"]
    named = create_run(client, name="processapitest : run #1")
    assert ok(curl("GET", f"/v1/processruns/{named}"))["name"] == "processapitest : run #1"


def test_start_a_process_run_and_drive_it_to_finished(client, curl, process):
    run = create_run(client)
    assert ok(curl("GET", f"/v1/processruns/{run}/runstatus"))["status"] == "NotStarted"
    started = ok(curl("POST", f"/v1/processruns/{run}/start"))
    assert list(started) == RUN_STATUS_KEYS
    assert started == {
        "id": run,
        "dateStarted": None,
        "dateFinished": None,
        "runDurationInSeconds": None,
        "runDurationInSec": None,
        "status": "Scheduled",
    }
    assert ok(curl("GET", f"/v1/processruns/{run}/runstatus"))["status"] == "Scheduled"
    run_engine(client)
    running = ok(curl("GET", f"/v1/processruns/{run}/runstatus"))
    assert running["status"] == "Running" and DATE_MS.match(running["dateStarted"]) and running["dateFinished"] is None
    assert running["runDurationInSeconds"] >= 0
    work_job(client, "load")
    work_job(client, "match")
    complete_user_task(client)
    finished = ok(curl("GET", f"/v1/processruns/{run}/runstatus"))
    assert finished["status"] == "Finished" and DATE_MS.match(finished["dateFinished"])
    assert finished["runDurationInSeconds"] == finished["runDurationInSec"] >= 0
    again = curl("POST", f"/v1/processruns/{run}/start")
    assert again.status_code == 409 and again.mimetype == "application/problem+json"


def test_cancel_a_process_run(client, curl, process):
    run = create_run(client)
    ok(curl("POST", f"/v1/processruns/{run}/start"))
    run_engine(client)
    cancelled = ok(curl("POST", f"/v1/processruns/{run}/cancel"))
    assert list(cancelled) == RUN_STATUS_KEYS
    assert cancelled["id"] == run and cancelled["status"] == "Cancelled"
    assert DATE_MS.match(cancelled["dateStarted"]) and DATE_MS.match(cancelled["dateFinished"])
    assert isinstance(cancelled["runDurationInSec"], int)
    assert client.post("/jobs/query", json={"states": ["CREATED", "LOCKED"]}).get_json()["count"] == 0
    twice = curl("POST", f"/v1/processruns/{run}/cancel")
    assert twice.status_code == 409 and "already ended" in twice.get_json()["message"]
    never_started = create_run(client)
    assert ok(curl("POST", f"/v1/processruns/{never_started}/cancel"))["status"] == "Cancelled"


def test_deprecated_start_request(client, curl, process):
    run = create_run(client)
    started = ok(curl("POST", "/v1/requests", f'{{"request":"ProcessRun_StartRq","processRunId":"{run}"}}'))
    assert started["id"] == run and started["status"] == "Scheduled" and list(started) == RUN_STATUS_KEYS
    run_engine(client)
    assert ok(curl("GET", f"/v1/processruns/{run}/runstatus"))["status"] == "Running"
    unknown = curl("POST", "/v1/requests", f'{{"request":"ProcessRun_PauseRq","processRunId":"{run}"}}')
    assert unknown.status_code == 400 and unknown.get_json()["errors"][0]["pointer"] == "#/request"
    bad_id = curl("POST", "/v1/requests", '{"request":"ProcessRun_StartRq","processRunId":"pr-114278"}')
    assert bad_id.status_code == 400 and bad_id.get_json()["errors"][0]["pointer"] == "#/processRunId"
    missing = curl("POST", "/v1/requests", '{"request":"ProcessRun_StartRq"}')
    assert missing.status_code == 400 and missing.get_json()["errors"][0]["pointer"] == "#/processRunId"
    not_json = curl("POST", "/v1/requests", "request=ProcessRun_StartRq")
    assert not_json.status_code == 400


def test_deprecated_cancel_request(client, curl, process):
    run = create_run(client)
    ok(curl("POST", f"/v1/processruns/{run}/start"))
    run_engine(client)
    cancelled = ok(curl("POST", "/v1/requests", f'{{"request":"ProcessRun_CancelRq","processRunId":"{run}"}}'))
    assert cancelled["id"] == run and cancelled["status"] == "Cancelled" and list(cancelled) == RUN_STATUS_KEYS
    assert ok(curl("POST", "/v1/requests", f'{{"request":"startRun","processRunId":"{create_run(client)}"}}'))


def test_get_process_run_status_also_under_the_api_base_and_the_headings_spelling(client, curl, process):
    run = create_run(client)
    ok(curl("POST", f"/v1/processruns/{run}/start"))
    run_engine(client)
    for path in (
        f"/v1/processruns/{run}/runstatus",
        f"/v1/processRuns/{run}/runstatus",
        f"/api/v1/processruns/{run}/runstatus",
        f"/api/v1/processRuns/{run}/runstatus",
    ):
        assert ok(curl("GET", path))["status"] == "Running", path
    assert ok(curl("GET", f"/api/v1/processruns/{run}"))["id"] == run


def test_get_process_run_data_steps(client, curl, process):
    run = create_run(client)
    steps = ok(curl("GET", f"/v1/processruns/{run}/steps"))
    assert steps == [
        {"isEnabled": True, "stepOrder": "1.1", "id": "as-loadData", "name": "Load data"},
        {"isEnabled": True, "stepOrder": "1.2", "id": "as-reconcile", "name": "Reconcile"},
        {"isEnabled": True, "stepOrder": "1.2.1", "id": "as-matchLedgers", "name": "Match ledgers"},
        {"isEnabled": True, "stepOrder": "1.3", "id": "as-approve", "name": "approve"},
    ]


def test_get_a_run_status_of_a_step_through_the_run(client, curl, process):
    run = create_run(client)
    path = f"/v1/processruns/{run}/steps/as-loadData/runstatus"
    not_started = ok(curl("GET", path))
    assert list(not_started) == STEP_STATUS_KEYS
    assert not_started["status"] == "NotStarted" and not_started["dateStarted"] is None
    ok(curl("POST", f"/v1/processruns/{run}/start"))
    run_engine(client)
    running = ok(curl("GET", path))
    assert running["status"] == "Running" and running["completionMessage"] == "step is currently running"
    assert DATE_MS_Z.match(running["dateStarted"]) and running["dateFinished"] is None
    work_job(client, "load")
    success = ok(curl("GET", path))
    assert success["status"] == "Success" and DATE_MS_Z.match(success["dateFinished"])
    assert success["runDurationInSec"] == success["runDurationInSeconds"] >= 0
    work_job(client, "match", error="ledger unreachable", retryLimit=0)
    failed = ok(curl("GET", f"/v1/processruns/{run}/steps/as-matchLedgers/runstatus"))
    assert failed["status"] == "Failed" and "ledger unreachable" in failed["completionMessage"]
    assert ok(curl("GET", f"/v1/processruns/{run}/steps/as-approve/runstatus"))["status"] == "NotStarted"
    ok(curl("POST", f"/v1/processruns/{run}/cancel"))
    assert ok(curl("GET", f"/v1/processruns/{run}/steps/as-matchLedgers/runstatus"))["status"] == "Cancelled"


def test_restart_a_step_in_a_process_run(client, curl, process):
    run = create_run(client)
    early = curl("POST", f"/v1/processruns/{run}/steps/as-approve/restartfromhere")
    assert early.status_code == 409 and "not started" in early.get_json()["message"]
    ok(curl("POST", f"/v1/processruns/{run}/start"))
    run_engine(client)
    work_job(client, "load")
    work_job(client, "match")
    complete_user_task(client)
    assert ok(curl("GET", f"/v1/processruns/{run}/runstatus"))["status"] == "Finished"
    restarted = ok(curl("POST", f"/v1/processruns/{run}/steps/as-matchLedgers/restartfromhere"))
    assert list(restarted) == STEP_STATUS_KEYS
    assert restarted["id"] == "as-matchLedgers" and restarted["status"] == "Running"
    assert restarted["completionMessage"] == "step is currently running" and restarted["dateFinished"] is None
    assert ok(curl("GET", f"/v1/processruns/{run}/runstatus"))["status"] == "Running"
    work_job(client, "match")  # the reopened run goes on from the restarted step to its end
    complete_user_task(client)
    assert ok(curl("GET", f"/v1/processruns/{run}/runstatus"))["status"] == "Finished"
    assert ok(curl("GET", f"/v1/processruns/{run}/steps/as-matchLedgers/runstatus"))["status"] == "Success"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/v1/processruns/pr-114278", 400),  # a Solvexia id, not a Baton run id
        ("GET", "/v1/processruns/20250501-1", 400),
        ("GET", "/v1/processruns/pr-20251301-1", 400),
        ("GET", "/v1/processruns/pr-20250501-9999999999", 404),
        ("GET", "/v1/processruns/pr-20250501-1", 404),
        ("POST", "/v1/processruns/pr-20250501-1/start", 404),
        ("POST", "/v1/processruns/pr-20250501-1/cancel", 404),
        ("GET", "/v1/processruns/pr-20250501-1/runstatus", 404),
        ("GET", "/v1/processruns/pr-20250501-1/steps", 404),
        ("GET", "/v1/processruns/pr-20250501-1/steps/as-loadData/runstatus", 404),
        ("POST", "/v1/processruns/pr-20250501-1/steps/as-loadData/restartfromhere", 404),
    ],
)
def test_bad_ids_are_problems_with_a_message(curl, method, path, status):
    response = curl(method, path)
    assert response.status_code == status, response.get_json()
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == status and problem["message"] and problem["supportId"]


def test_a_wrong_method_is_a_problem(curl):
    response = curl("GET", "/v1/processruns/pr-20250501-1/start")
    assert response.status_code == 405 and response.mimetype == "application/problem+json"
    assert "POST" in response.headers["Allow"]


def test_steps_that_are_not_activities_of_the_run_are_not_found(client, curl, process):
    run = create_run(client)
    for step in ("as-start", "as-nothing", "as-f1"):
        response = curl("GET", f"/v1/processruns/{run}/steps/{step}/runstatus")
        assert response.status_code == 404 and step in response.get_json()["message"]
    malformed = curl("GET", f"/v1/processruns/{run}/steps/ds-114279/runstatus")
    assert malformed.status_code == 400 and malformed.get_json()["errors"][0]["pointer"] == "#/path/stepId"


def test_the_api_key_is_required(app, process):
    response = app.test_client().get("/v1/processruns/pr-20250501-1")
    assert response.status_code == 401
    wrong = app.test_client().get("/v1/processruns/pr-20250501-1", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401


def test_the_facade_is_in_the_openapi_document(client):
    paths = client.get("/openapi.json").get_json()["paths"]
    assert "/v1/processruns/{process_run_id}/steps/{step_id}/restartfromhere" in paths and "/v1/requests" in paths
    assert not any(path.startswith("/api/") for path in paths)  # the aliases stay out of the document


# The seed's curl examples and example answers, verbatim (seeds/solvexia-process-runs.md).
SEED_KEY = "syPHeMY5H--kdRtfpoXTgYFF7LHgVOhIjOQ5QkIvSD68VZvc2_uAew.P07tEVThD5SqNCV_tFwbAg"
AUTH = f'-H "Authorization: Bearer {SEED_KEY}"'
SEED_EXAMPLES = [
    (
        f"curl https://app.solvexia.com/api/v1/processruns/pr-114278 -X GET {AUTH}",
        {"id", "name", "process", "alertEmailAddress", "alertSMS", "description", "lastModifiedBy", "dateModified"}
        | {"dateCreated"},
        None,
    ),
    (
        f'curl -X POST "https://app.solvexia.com/api/v1/processruns/pr-114278/start" {AUTH}',
        {"id", "dateStarted", "dateFinished", "runDurationInSeconds", "status"},
        "Scheduled",
    ),
    (
        f'curl -X POST "https://app.solvexia.com/api/v1/processruns/pr-263/cancel" {AUTH}',
        {"id", "dateFinished", "dateStarted", "runDurationInSec", "status"},
        "Cancelled",
    ),
    (
        f'curl -X POST "https://app.solvexia.com/api/v1/requests" -H "Authorization: Bearer {SEED_KEY}" '
        """-H "Content-Type: application/json" -d '{"request":"ProcessRun_StartRq","processRunId":"pr-114278"}'""",
        {"id", "dateStarted", "dateFinished", "runDurationInSeconds", "status"},
        "Scheduled",
    ),
    (
        f'curl -X POST "https://app.solvexia.com/api/v1/requests" -H "Authorization: Bearer {SEED_KEY}" '
        """-H "Content-Type: application/json" -d '{"request":"ProcessRun_CancelRq","processRunId":"pr-114278"}'""",
        {"id", "dateFinished", "dateStarted", "runDurationInSec", "status"},
        "Cancelled",
    ),
    (
        f'curl -X GET "https://app.solvexia.com/api/v1/processruns/pr-114278/runstatus" {AUTH}',
        {"id", "dateStarted", "dateFinished", "runDurationInSeconds", "status"},
        "Running",
    ),
    (
        f'curl "https:/app.solvexia.com/api/v1/processruns/pr-114278/steps" -X GET {AUTH}',
        {"isEnabled", "stepOrder", "id", "name"},
        None,
    ),
    (
        f'curl -X GET "https://app.solvexia.com/api/v1/processruns/pr-114278/steps/as-20682/runstatus" {AUTH}',
        {"id", "dateFinished", "dateStarted", "runDurationInSec", "status", "completionMessage"},
        "Running",
    ),
    (
        f'curl -X POST "https://app.solvexia.com/api/v1/processruns/pr-114278/steps/as-20682/restartfromhere" {AUTH}',
        {"id", "dateFinished", "dateStarted", "runDurationInSec", "status", "completionMessage"},
        "Running",
    ),
]


def translate(line, base, run, key):
    """A seed curl line with host, ids and key replaced, nothing else: (method, path, headers, body)."""
    line = re.sub(r"https:/{1,2}app\.solvexia\.com/api", base, line)
    line = re.sub(r"pr-\d+", run, line).replace("as-20682", "as-loadData").replace(SEED_KEY, key)
    words = shlex.split(line)
    method, headers, body, url = "GET", {}, None, None
    index = 1
    while index < len(words):
        word = words[index]
        if word == "-X":
            method, index = words[index + 1], index + 2
        elif word == "-H":
            name, value = words[index + 1].split(":", 1)
            headers[name.strip()] = value.strip()
            index += 2
        elif word == "-d":
            body, index = words[index + 1], index + 2
            method = "POST" if method == "GET" else method
        else:
            url, index = word, index + 1
    return method, url, headers, body


@pytest.mark.parametrize("base", ["", "/api"], ids=["host-and-api-replaced", "host-replaced"])
@pytest.mark.parametrize(("line", "keys", "status"), SEED_EXAMPLES, ids=[f"example-{n}" for n in range(1, 10)])
def test_every_curl_example_of_the_seed_answers_its_documented_shape(
    app, client, api_key, process, base, line, keys, status
):
    run = create_run(client)
    if status in ("Running", "Cancelled") and "ProcessRun_StartRq" not in line:
        ok(client.post(f"/v1/processruns/{run}/start"))
        run_engine(client)
    method, url, headers, body = translate(line, base, run, api_key)
    assert "solvexia" not in url and api_key in headers["Authorization"]
    response = app.test_client().open(url, method=method, headers=headers, data=body)
    answer = ok(response)
    for item in answer if isinstance(answer, list) else [answer]:
        assert keys <= set(item), (keys - set(item), item)
    if status is not None:
        assert answer["status"] == status
