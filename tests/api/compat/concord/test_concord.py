"""The Concord facade: the seed's curl examples, run as written (host, ids and key replaced),
over the real database; a job worker downloads the payload's files through the native API."""

from __future__ import annotations

import io
import json
import stat
import zipfile
from typing import Any

import pytest
import sqlalchemy as sa

from tests.api.compat.atom.test_atom import complete_user_task, run_engine_tasks
from tests.api.compat.models import ORDER_PROCESSING as MODEL

SETTINGS = b'{"currency": "EUR"}'


@pytest.fixture
def facades() -> tuple[str, ...]:
    return ("concord",)


@pytest.fixture
def app(app: Any, db: Any) -> Any:
    """The app with the native attachments endpoints (until create_app registers them) and no
    attachments left by earlier tests."""
    from api.routes import attachments

    if "attachments" not in app.blueprints:
        app.register_blueprint(attachments.blp)
    with db.engine.begin() as conn:
        conn.execute(sa.text("TRUNCATE attachment"))
    return app


class Curl:
    """The seed's requests: ``Authorization: <key>`` and the body as ``--data-binary``."""

    def __init__(self, app: Any, key: str) -> None:
        self.http = app.test_client()
        self.key = key

    def __call__(self, method: str, path: str, body: bytes | None = None, **headers: str) -> Any:
        return self.http.open(path, method=method, data=body, headers={"Authorization": self.key, **headers})

    def post_zip(self, archive: bytes, content_type: str = "application/octet-stream") -> Any:
        return self("POST", "/api/v1/process", archive, **{"Content-Type": content_type})


@pytest.fixture
def curl(app: Any, api_key: str) -> Curl:
    return Curl(app, api_key)


def payload(files: dict[str, bytes | str] | None = None, main: Any = None, *, with_model: bool = True) -> bytes:
    """A request.zip: ``_main.json``, the order model under ``processes/``, and ``files``."""
    if main is None:
        main = {"entryPoint": "order-processing", "arguments": {"a": 1, "b": "two", "c": False, "d": ["x", "y"]}}
    entries: dict[str, bytes | str] = {"_main.json": json.dumps(main) if not isinstance(main, bytes) else main}
    if with_model:
        entries["processes/order.bpmn"] = MODEL
    entries.update(files or {})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def problem(response: Any, status: int, type_: str | None = None) -> dict[str, Any]:
    body = response.get_json()
    assert response.status_code == status, body
    assert response.mimetype == "application/problem+json"
    assert body["status"] == status and body["title"] and body["detail"]
    if type_ is not None:
        assert body["type"] == type_, body
    return body


def nothing_was_created(client: Any) -> None:
    assert client.post("/process-instances/query", json={}).get_json()["count"] == 0
    assert client.post("/processes/query", json={}).get_json()["count"] == 0


# --- the seed's examples, end to end ----------------------------------------------------------


def test_seed_examples_start_wait_status_and_stop(client, curl):
    request_zip = payload({"config/settings.json": SETTINGS, "data/input.csv": "id,qty\n1,2\n"})
    # Starting a new process instance
    started = curl.post_zip(request_zip)
    assert started.status_code == 200, started.get_json()
    assert started.mimetype == "application/json"
    instance_id = started.get_json()["instanceId"]
    assert len(instance_id) == 36 and started.get_json()["ok"] is True
    run_engine_tasks(client)

    # Checking the status of a process
    running = curl("GET", f"/api/v1/process/{instance_id}")
    assert running.status_code == 200 and running.get_json()["status"] == "RUNNING"
    assert running.get_json()["instanceId"] == instance_id and running.get_json()["initiator"] == "tests"

    # A job worker finds the payload's files through the native API, by its job
    [job] = client.post("/jobs/lock", json={"workerId": "w1", "types": ["order-validator"]}).get_json()["jobs"]
    base = f"/process-instances/{job['partition']}/{job['processInstanceId']}/attachments"
    listed = client.get(base).get_json()
    assert [(a["name"], a["size"], a["contentType"]) for a in listed["results"]] == [
        ("config/settings.json", len(SETTINGS), "application/json"),
        ("data/input.csv", 11, "text/csv"),
    ]
    downloaded = client.get(f"{base}/config/settings.json")
    assert downloaded.status_code == 200 and downloaded.data == SETTINGS
    assert downloaded.headers["Content-Type"] == "application/json"
    assert client.get(f"/api/v1/process/{instance_id}/attachment/data/input.csv").data == b"id,qty\n1,2\n"
    assert client.get(f"/api/v1/process/{instance_id}/attachment").get_json() == [
        "config/settings.json",
        "data/input.csv",
    ]
    variables = client.get(f"/process-instances/{job['partition']}/{job['processInstanceId']}/variables").get_json()
    assert {v["name"]: json.loads(v["data"]["value"]) for v in variables["variables"]} == {
        "a": 1,
        "b": "two",
        "c": False,
        "d": ["x", "y"],
    }
    still = curl("GET", f"/api/v1/process/{instance_id}/wait?timeout=100")
    assert problem(still, 408, "TIMEOUT")["detail"].endswith("is RUNNING after 100 ms")
    assert client.patch(f"/jobs/{job['partition']}/{job['id']}/complete", json={"workerId": "w1"}).status_code == 200
    run_engine_tasks(client)
    complete_user_task(client)

    # Waiting for completion
    finished = curl("GET", f"/api/v1/process/{instance_id}/wait?timeout=10000")
    assert finished.status_code == 200, finished.get_json()
    assert finished.get_json()["status"] == "FINISHED"
    assert curl("GET", f"/api/v1/process/{instance_id}").get_json()["status"] == "FINISHED"

    # Stopping a running process (the same payload again reuses the deployed version)
    second = curl.post_zip(request_zip).get_json()["instanceId"]
    assert client.post("/processes/query", json={}).get_json()["count"] == 1
    run_engine_tasks(client)
    stopped = curl("DELETE", f"/api/v1/process/{second}")
    assert stopped.status_code == 204 and stopped.data == b""
    assert curl("GET", f"/api/v1/process/{second}").get_json()["status"] == "CANCELLED"
    assert curl("GET", f"/api/v1/process/{second}/wait").get_json()["status"] == "CANCELLED"
    problem(curl("DELETE", f"/api/v1/process/{second}"), 409, "CONFLICT")


def test_a_failing_job_makes_the_process_failed(client, curl):
    instance_id = curl.post_zip(payload()).get_json()["instanceId"]
    run_engine_tasks(client)
    for _ in range(4):  # the model allows 3 retries
        jobs = client.post("/jobs/lock", json={"workerId": "w1"}).get_json()["jobs"]
        if not jobs:
            client.patch("/time", json={"timeDuration": "PT1H"})
            run_engine_tasks(client)
            jobs = client.post("/jobs/lock", json={"workerId": "w1"}).get_json()["jobs"]
        [job] = jobs
        failed = client.patch(
            f"/jobs/{job['partition']}/{job['id']}/complete", json={"workerId": "w1", "error": "backend down"}
        )
        assert failed.status_code == 200, failed.get_json()
        run_engine_tasks(client)
    body = curl("GET", f"/api/v1/process/{instance_id}/wait?timeout=5000").get_json()
    assert body["status"] == "FAILED" and body["baton"]["openIncidents"] == 1 and body["baton"]["state"] == "STARTED"


def test_an_entry_point_already_deployed_needs_no_processes_directory(client, curl):
    client.post(
        "/processes", json={"bpmnProcessId": "order-processing", "bpmnXml": MODEL, "version": "7", "workerId": "ops"}
    )
    started = curl.post_zip(payload(main={"entryPoint": "order-processing"}, with_model=False))
    assert started.status_code == 200, started.get_json()
    status = curl("GET", f"/api/v1/process/{started.get_json()['instanceId']}").get_json()
    assert status["baton"]["version"] == "7"


# --- archive safety ---------------------------------------------------------------------------


def raw_zip(entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, content in entries:
            archive.writestr(info, content)
    return buffer.getvalue()


MAIN = ("_main.json", json.dumps({"entryPoint": "order-processing"}).encode())
PROCESS = ("processes/order.bpmn", MODEL.encode())


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("/etc/passwd", "relative path"),
        ("../evil.sh", ". or .."),
        ("data/../../evil.sh", ". or .."),
        ("..\\evil.sh", "separator"),
        ("C:/evil.sh", "relative path"),
        ("a//b", "empty components"),
    ],
)
def test_entries_that_would_escape_are_refused(client, curl, name, why):
    body = problem(curl.post_zip(raw_zip([MAIN, PROCESS, (name, b"x")])), 400, "VALIDATION")
    assert why in body["detail"] and body["errors"][0]["pointer"].startswith("#/archive/")
    nothing_was_created(client)


def test_symlinks_encrypted_and_duplicate_entries_are_refused(client, curl):
    link = zipfile.ZipInfo("link")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    assert "symbolic link" in problem(curl.post_zip(raw_zip([MAIN, PROCESS, (link, b"/etc/passwd")])), 400)["detail"]
    secret = bytearray(raw_zip([MAIN, PROCESS, ("secret.txt", b"x")]))
    header = secret.rfind(b"secret.txt") - 46  # its central directory entry: set "encrypted"
    secret[header + 8] |= 0x1
    assert "encrypted" in problem(curl.post_zip(bytes(secret)), 400)["detail"]
    with pytest.warns(UserWarning):
        twice = raw_zip([MAIN, PROCESS, ("a.txt", b"1"), ("a.txt", b"2")])
    assert "twice" in problem(curl.post_zip(twice), 400)["detail"]
    nothing_was_created(client)


def test_zip_bombs_and_oversized_archives_are_refused_with_413(client, curl, monkeypatch):
    bomb = raw_zip([MAIN, PROCESS, ("zeros.bin", bytes(20 * 1024 * 1024))])
    assert len(bomb) < 100_000
    body = problem(curl.post_zip(bomb), 413, "LIMIT")
    assert "100:1" in body["detail"] and body["errors"][0]["type"] == "max_ratio"
    too_big = curl.post_zip(b"PK" + bytes(10 * 1024 * 1024))
    problem(too_big, 413)
    from api.compat.concord import routes as concord
    from api.compat.concord.payload import Limits

    monkeypatch.setattr(concord, "LIMITS", Limits(max_entries=5, max_total_bytes=1000))
    many = raw_zip([MAIN, PROCESS, *((f"f{n}", b"x") for n in range(4))])
    assert problem(curl.post_zip(many), 413, "LIMIT")["errors"][0]["type"] == "max_entries"
    large = raw_zip([MAIN, PROCESS, ("big.txt", b"y" * 2000)])
    assert problem(curl.post_zip(large), 413, "LIMIT")["errors"][0]["type"] == "max_total"
    nothing_was_created(client)


def test_a_header_that_lies_about_its_size_is_refused(client, curl):
    archive = bytearray(raw_zip([MAIN, PROCESS, ("data.txt", b"z" * 5000)]))
    header = archive.rfind(b"data.txt") - 46  # its central directory entry
    assert archive[header : header + 4] == b"PK\x01\x02"
    archive[header + 24 : header + 28] = (100).to_bytes(4, "little")  # "uncompressed size: 100"
    body = problem(curl.post_zip(bytes(archive)), 400, "VALIDATION")
    assert "data.txt" in body["detail"]
    nothing_was_created(client)


def test_main_json_and_entry_point_problems(client, curl):
    no_main = raw_zip([PROCESS, ("x.txt", b"x")])
    assert problem(curl.post_zip(no_main), 400)["errors"][0]["pointer"] == "#/archive/_main.json"
    assert "not valid JSON" in problem(curl.post_zip(payload(main=b"{nope")), 400)["detail"]
    assert "JSON object" in problem(curl.post_zip(payload(main=[1])), 400)["detail"]
    missing = problem(curl.post_zip(payload(main={"arguments": {}})), 400)
    assert missing["errors"][0]["pointer"] == "#/_main.json/entryPoint"
    unknown = problem(curl.post_zip(payload(main={"entryPoint": "nope"})), 400, "VALIDATION")
    assert "order-processing" in unknown["detail"] and unknown["errors"][0]["value"] == "nope"
    arguments = problem(curl.post_zip(payload(main={"entryPoint": "order-processing", "arguments": [1]})), 400)
    assert arguments["errors"][0]["pointer"] == "#/_main.json/arguments"
    bad_name = problem(
        curl.post_zip(payload(main={"entryPoint": "order-processing", "arguments": {"a b": 1}})), 400, "VALIDATION"
    )
    assert bad_name["errors"][0]["pointer"] == "#/_main.json/arguments/a b"
    nothing_was_created(client)


def test_process_definition_problems(client, curl):
    invalid = MODEL.replace('targetRef="approve-order"', 'targetRef="nowhere"')
    body = problem(curl.post_zip(payload({"processes/order.bpmn": invalid})), 422, "PROCESS_MODEL")
    assert body["detail"].startswith("processes/order.bpmn:")
    problem(curl.post_zip(payload({"processes/order.bpmn": "<definitions"})), 400, "PROCESS_MODEL")
    yml = problem(curl.post_zip(payload({"processes/main.yml": "flows: {}"})), 400, "VALIDATION")
    assert "YAML" in yml["detail"]
    not_executable = MODEL.replace('isExecutable="true"', 'isExecutable="false"')
    problem(curl.post_zip(payload({"processes/order.bpmn": not_executable})), 422, "PROCESS_MODEL")
    nothing_was_created(client)


def test_bodies_that_are_no_payload(client, curl):
    problem(curl.post_zip(b""), 400, "VALIDATION")
    assert "ZIP" in problem(curl.post_zip(b"hello, not a zip"), 400)["detail"]
    form = curl.post_zip(b"--x\r\n", content_type="multipart/form-data; boundary=x")
    assert "octet-stream" in problem(form, 415)["detail"]
    problem(curl.post_zip(b"{}", content_type="application/json"), 415)
    nothing_was_created(client)


def test_ids_and_waits(client, curl):
    problem(curl("GET", "/api/v1/process/not-a-uuid"), 400, "VALIDATION")
    problem(curl("GET", "/api/v1/process/a13f153d-f560-400f-a030-78ddb00738e0"), 404, "NOT_FOUND")
    problem(curl("GET", "/api/v1/process/20250501-ba70-8000-8000-000000000576"), 404, "NOT_FOUND")
    problem(curl("GET", "/api/v1/process/20251301-ba70-8000-8000-000000000576"), 404, "NOT_FOUND")
    problem(curl("DELETE", "/api/v1/process/20250501-ba70-8000-8000-000000000576"), 404, "NOT_FOUND")
    problem(curl("GET", "/api/v1/process/20250501-ba70-8000-8000-000000000576/wait"), 404, "NOT_FOUND")
    instance_id = curl.post_zip(payload()).get_json()["instanceId"]
    assert curl("GET", f"/api/v1/process/{instance_id.upper()}").status_code == 200
    problem(curl("GET", f"/api/v1/process/{instance_id}/wait?timeout=300001"), 400)
    problem(curl("GET", f"/api/v1/process/{instance_id}/wait?timeout=soon"), 400)
    problem(curl("GET", f"/api/v1/process/{instance_id}/wait?timeot=5"), 400)
    problem(curl("GET", f"/api/v1/process/{instance_id}/attachment/nope.txt"), 404, "NOT_FOUND")
    assert curl.http.get(f"/api/v1/process/{instance_id}").status_code == 401


# --- the native attachments endpoints ----------------------------------------------------------


def test_native_attachments_add_list_download_and_refuse(client, curl):
    instance_id = curl.post_zip(payload({"a.txt": b"A"})).get_json()["instanceId"]
    native = curl("GET", f"/api/v1/process/{instance_id}").get_json()["baton"]
    base = f"/process-instances/{native['partition']}/{native['id']}/attachments"
    added = client.post(
        base,
        json={
            "workerId": "w",
            "attachments": [{"name": "out/report.txt", "contentType": "text/plain", "content": "aGk="}],
        },
    )
    assert added.status_code == 201, added.get_json()
    [report] = added.get_json()["results"]
    assert report["size"] == 2 and report["createdBy"] == "w" and len(report["sha256"]) == 64
    got = client.get(f"{base}/out/report.txt")
    assert got.data == b"hi" and got.headers["ETag"] == f'"{report["sha256"]}"'
    assert 'filename="report.txt"' in got.headers["Content-Disposition"]
    again = client.post(base, json={"workerId": "w", "attachments": [{"name": "a.txt", "content": "QQ=="}]})
    problem(again, 409, "CONFLICT")
    for name in ("../x", "/x", "a\\b", "a/./b", "bad\nname"):
        refused = client.post(base, json={"workerId": "w", "attachments": [{"name": name, "content": "QQ=="}]})
        problem(refused, 400, "VALIDATION")
    problem(client.post(base, json={"workerId": "w", "attachments": [{"name": "x", "content": "%%"}]}), 400)
    header = client.post(
        base, json={"workerId": "w", "attachments": [{"name": "x", "content": "QQ==", "contentType": "a/b\r\nX: y"}]}
    )
    problem(header, 400, "VALIDATION")
    problem(client.post(base, json={"workerId": "w", "attachments": []}), 400)
    problem(client.get(f"{base}/missing.txt"), 404, "NOT_FOUND")
    problem(client.get("/process-instances/2025-05-01/999/attachments"), 404, "NOT_FOUND")
    problem(client.get("/process-instances/2025-05-01/999/attachments/a.txt"), 404, "NOT_FOUND")
    curl("DELETE", f"/api/v1/process/{instance_id}")
    ended = client.post(base, json={"workerId": "w", "attachments": [{"name": "late.txt", "content": "QQ=="}]})
    problem(ended, 409, "CONFLICT")
    assert [a["name"] for a in client.get(base).get_json()["results"]] == ["a.txt", "out/report.txt"]


def test_native_attachment_limits_are_413(client, curl, db):
    from engine.commands.attachments import Limits, NewAttachment, add_attachments

    instance_id = curl.post_zip(payload()).get_json()["instanceId"]
    native = curl("GET", f"/api/v1/process/{instance_id}").get_json()["baton"]
    from datetime import date

    day = date.fromisoformat(native["partition"])
    small = Limits(max_files=2, max_bytes=10)
    db.run(add_attachments, day, native["id"], [NewAttachment("a", b"12345")], "w", small)
    with pytest.raises(Exception) as too_many:
        db.run(add_attachments, day, native["id"], [NewAttachment("b", b"1"), NewAttachment("c", b"1")], "w", small)
    assert str(too_many.value.kind) == "LIMIT"  # type: ignore[attr-defined]
    with pytest.raises(Exception) as too_large:
        db.run(add_attachments, day, native["id"], [NewAttachment("b", b"123456")], "w", small)
    assert "10 bytes" in str(too_large.value)
