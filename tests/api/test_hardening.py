"""Inputs and outages that once answered 500 (issue 7 findings): each is now a clear answer."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from engine.store.db import application_name
from tests.api.conftest import Client
from tests.conftest import conformance_xml
from workers.publish import Publisher


def closed_port() -> int:
    """A local TCP port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def deploy_service(client: Client) -> None:
    response = client.post(
        "/processes",
        json={
            "bpmnProcessId": "serviceTest",
            "bpmnXml": conformance_xml("task/service.bpmn"),
            "version": "1",
            "workerId": "tests",
        },
    )
    assert response.status_code == 201, response.get_json()


def count_sends(publisher: Publisher, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record every attempt of ``publisher`` to reach the broker (one entry per attempt)."""
    attempts: list[int] = []
    send = publisher._send

    def counted(tasks: object) -> None:
        attempts.append(len(tasks))  # type: ignore[arg-type]
        send(tasks)  # type: ignore[arg-type]

    monkeypatch.setattr(publisher, "_send", counted)
    return attempts


@pytest.fixture
def down_broker_url() -> str:
    """The URL of a Redis that does not answer."""
    return f"redis://127.0.0.1:{closed_port()}/0"


@pytest.fixture
def brokerless_publisher(down_broker_url: str) -> Iterator[Publisher]:
    """The API's publisher to that Redis. Its breaker stays open for an hour after a failure, so
    that no test depends on how fast its requests run."""
    publisher = Publisher(down_broker_url, breaker_seconds=3600)
    yield publisher
    publisher.close()


@pytest.fixture
def brokerless_app(db: object, down_broker_url: str, brokerless_publisher: Publisher) -> Iterator[object]:
    """The API configured with a broker that does not answer (Redis down)."""
    from api.app import create_app
    from engine.settings import Settings

    settings = Settings(database_url=db.url, broker_url=down_broker_url)  # type: ignore[attr-defined]
    app = create_app(settings, db=db, publisher=brokerless_publisher)  # type: ignore[arg-type]
    yield app
    app.extensions["baton"].wakeups.stop()


def test_readiness_is_degraded_and_commands_are_accepted_while_the_broker_is_down(
    brokerless_app: object, brokerless_publisher: Publisher, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = Client(brokerless_app, api_key)
    response = client.get("/readiness")
    assert response.status_code == 200
    assert response.get_json() == {"status": "degraded", "database": "up", "broker": "unreachable"}
    deploy_service(client)
    attempts = count_sends(brokerless_publisher, monkeypatch)
    for _ in range(5):
        created = client.post("/process-instances", json={"bpmnProcessId": "serviceTest", "workerId": "tests"})
        assert created.status_code == 201, created.get_json()
    # The first failed publish opens the breaker: the others do not try the broker at all.
    assert attempts == [1]


def test_the_publisher_breaker_skips_publishing_after_a_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.store.db import TaskRef

    publisher = Publisher(f"redis://127.0.0.1:{closed_port()}/0", breaker_seconds=60)
    attempts = count_sends(publisher, monkeypatch)
    ref = TaskRef(date(2025, 1, 1), 1, "START_PROCESS_INSTANCE", datetime(2025, 1, 1, tzinfo=UTC))
    with pytest.raises(Exception):  # noqa: B017 - kombu's connection error, whatever its class
        publisher([ref])
    publisher([ref])  # the breaker is open: nothing is sent, nothing raised
    assert attempts == [1]
    publisher.close()


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/process-instances/query", {"bpmnProcessId": "a\u0000b"}),
        ("post", "/jobs/query", {"bpmnElementId": "x\u0000"}),
        ("post", "/process-instances", {"bpmnProcessId": "serviceTest", "workerId": "w\u0000"}),
        ("post", "/process-instances", {"bpmnProcessId": "serviceTest", "workerId": "w", "tags": {"k\u0000": "v"}}),
        ("get", "/processes?bpmnProcessId=a%00b", None),
    ],
)
def test_nul_characters_are_a_400_problem(client: Client, method: str, path: str, body: object) -> None:
    response = getattr(client, method)(path, json=body) if body is not None else getattr(client, method)(path)
    assert response.status_code == 400, response.get_json()
    assert response.mimetype == "application/problem+json"
    assert "NUL" in response.get_json()["detail"]


def test_a_literal_backslash_u0000_text_is_not_a_nul(client: Client) -> None:
    response = client.post("/process-instances/query", json={"bpmnProcessId": "a\\u0000b"})
    assert response.status_code == 200, response.get_json()


def test_date_times_with_any_valid_offset_are_converted_to_utc(client: Client) -> None:
    for offset in ("-20:45", "+23:59", "+00:00", "Z"):
        response = client.post("/process-instances/query", json={"startedAfter": f"2025-01-01T10:00:00{offset}"})
        assert response.status_code == 200, (offset, response.get_json())


def test_a_deeply_nested_variable_value_is_a_400_problem(client: Client) -> None:
    deploy_service(client)
    value = "[" * 5000 + "]" * 5000
    response = client.post(
        "/process-instances",
        json={
            "bpmnProcessId": "serviceTest",
            "workerId": "w",
            "variables": {"x": {"encoding": "json", "value": value}},
        },
    )
    assert response.status_code == 400, response.get_json()
    assert "nested too deeply" in str(response.get_json()["errors"])


def test_reads_after_terminated_database_connections_are_503_then_succeed_on_retry(client: Client, db: object) -> None:
    deploy_service(client)
    assert client.post("/process-instances/query", json={}).status_code == 200
    with sa.create_engine(db.url).connect() as admin:  # type: ignore[attr-defined]
        killed = admin.execute(
            sa.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name = :name"
            ),
            {"name": application_name(db.engine_id)},  # type: ignore[attr-defined] - this process's pool
        ).scalar()
    assert killed >= 1
    unavailable = 0
    for path in ("/process-instances/query", "/jobs/query", "/incidents/query"):
        response = client.post(path, json={})
        if response.status_code == 503:  # the dead connection: a problem, and the pool is renewed
            assert response.get_json()["type"] == "UNAVAILABLE"
            unavailable += 1
            response = client.post(path, json={})
        assert response.status_code == 200, (path, response.get_json())
    assert unavailable <= 1


def test_a_lost_connection_outside_a_command_is_a_503_problem(app: object, api_key: str) -> None:
    from engine.store.db import unavailable

    @app.route("/__lost")  # type: ignore[attr-defined]
    def lost() -> None:
        raise sa.exc.OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))

    response = Client(app, api_key).get("/__lost")
    assert response.status_code == 503
    assert response.get_json()["type"] == unavailable().kind.value


def test_errors_are_documented_as_problems(client: Client) -> None:
    document = client.get("/openapi.json").get_json()
    default = document["components"]["responses"]["DEFAULT_ERROR"]
    assert list(default["content"]) == ["application/problem+json"]
    assert {"status", "type", "title"} <= set(document["components"]["schemas"]["Problem"]["properties"])
