"""``/jobs``: a failed job of a task with a retry cycle is lockable again only after the delay."""

from __future__ import annotations

from tests.api.routes.test_process_instances import complete, lock, start

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"

RETRIED = (
    f'<definitions xmlns="{BPMN}" xmlns:camunda="{CAMUNDA}" id="d"><process id="retried" isExecutable="true">'
    '<startEvent id="s"/><sequenceFlow id="f0" sourceRef="s" targetRef="a"/>'
    '<serviceTask id="a" camunda:type="external" camunda:topic="work"><extensionElements>'
    "<camunda:failedJobRetryTimeCycle>R2/PT10M</camunda:failedJobRetryTimeCycle></extensionElements></serviceTask>"
    '<sequenceFlow id="f1" sourceRef="a" targetRef="e"/><endEvent id="e"/></process></definitions>'
)


def deploy(client, xml):
    return client.post(
        "/processes", json={"bpmnProcessId": "retried", "bpmnXml": xml, "version": "1", "workerId": "tests"}
    )


def test_a_failed_job_is_due_again_after_the_models_retry_delay(client):
    assert deploy(client, RETRIED).status_code in (200, 201)
    start(client, "retried")
    [job] = lock(client)
    assert job["retries"] == 1 and job["retryCount"] == 0
    failed = complete(client, job, error="down")
    assert failed.status_code == 200, failed.get_json()
    assert failed.get_json()["state"] == "CAUSED_RETRY"
    [retry] = client.post("/jobs/query", json={"states": ["CREATED"]}).get_json()["results"]
    assert retry["retryCount"] == 1 and retry["dueAt"] > failed.get_json()["completedAt"]
    assert lock(client) == []
    assert client.patch("/time", json={"timeDuration": "PT10M"}).status_code == 200
    [again] = lock(client)
    assert again["id"] == retry["id"]
    assert complete(client, again, error="down").get_json()["state"] == "CAUSED_INCIDENT"


def test_a_bad_retry_cycle_is_a_422_naming_the_element_and_the_value(client):
    response = deploy(client, RETRIED.replace("R2/PT10M", "R2/soon"))
    assert response.status_code == 422
    [error] = response.get_json()["errors"]
    assert error["pointer"] == "#/retried/a"
    assert '"R2/soon"' in error["detail"]
