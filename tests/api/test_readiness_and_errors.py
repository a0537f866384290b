"""What readiness says about the broker, and the native API's error causes as the go-bpmn seed
document words them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api.conftest import Client


@pytest.fixture
def app_with_broker(db: object, redis_url: str) -> Iterator[object]:
    """The API with a real, answering broker."""
    from api.app import create_app
    from engine.settings import Settings

    app = create_app(Settings(database_url=db.url, broker_url=redis_url), db=db)  # type: ignore[attr-defined]
    yield app
    app.extensions["baton"].wakeups.stop()


def test_readiness_says_there_is_no_broker_when_none_is_configured(client: Client) -> None:
    response = client.get("/readiness", headers={"Authorization": ""})
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready", "database": "up", "broker": "none"}


def test_readiness_says_the_broker_is_up_only_when_it_answers(app_with_broker: object) -> None:
    response = app_with_broker.test_client().get("/readiness")  # type: ignore[attr-defined]
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready", "database": "up", "broker": "up"}


def test_an_invalid_variable_name_is_a_variable_name_cause_as_in_the_seed(client: Client) -> None:
    # The seed's example (go-bpmn HTTP API, "Sets or deletes variables"): a name with a comma and
    # data without encoding and value.
    response = client.post(
        "/process-instances",
        json={"bpmnProcessId": "any", "workerId": "w", "variables": {",": {"encrypted": True}}},
    )
    assert response.status_code == 400
    problem = response.get_json()
    assert (problem["type"], problem["title"], problem["detail"]) == (
        "HTTP_REQUEST_BODY",
        "invalid request body",
        "failed to validate request body",
    )
    assert problem["errors"] == [
        {
            "pointer": "#/variables/,",
            "type": "variable_name",
            "detail": "must match regex ^[a-zA-Z0-9_-]+$",
            "value": ",",
        },
        {"pointer": "#/variables/,/encoding", "type": "required", "detail": "is required"},
        {"pointer": "#/variables/,/value", "type": "required", "detail": "is required"},
    ]


def test_query_parameters_that_fail_validation_are_not_called_the_body(client: Client) -> None:
    response = client.post("/process-instances/query?limit=-1", json={})
    assert response.status_code == 400
    assert response.get_json()["title"] == "invalid request"


def test_a_query_counts_every_match_only_when_asked(client: Client) -> None:
    from tests.conftest import conformance_xml

    deployed = client.post(
        "/processes",
        json={
            "bpmnProcessId": "serviceTest",
            "bpmnXml": conformance_xml("task/service.bpmn"),
            "version": "1",
            "workerId": "w",
        },
    )
    assert deployed.status_code == 201
    created = []
    for _ in range(3):
        response = client.post("/process-instances", json={"bpmnProcessId": "serviceTest", "workerId": "w"})
        assert response.status_code == 201
        created.append(response.get_json()["id"])
    assert client.post("/tasks/execute", json={"limit": 100}).status_code == 200  # start them: 3 jobs
    page = client.post("/process-instances/query?limit=2&total=true", json={"sortOrder": "DESC"}).get_json()
    assert page["count"] == 2 and page["total"] == 3
    assert [i["id"] for i in page["results"]] == created[::-1][:2]  # newest first
    assert "total" not in client.post("/process-instances/query", json={}).get_json()
    beyond = client.post("/process-instances/query?offset=5&total=true", json={}).get_json()
    assert beyond["count"] == 0 and beyond["total"] == 3
    for path in ("/processes/query", "/jobs/query", "/user-tasks/query", "/incidents/query"):
        answer = client.post(f"{path}?total=true", json={}).get_json()
        assert answer["total"] == answer["count"], (path, answer)
    newest = client.post("/jobs/query", json={"sortOrder": "DESC"}).get_json()["results"]
    oldest = client.post("/jobs/query", json={}).get_json()["results"]
    assert len(oldest) == 3 and [j["id"] for j in newest] == [j["id"] for j in reversed(oldest)]
