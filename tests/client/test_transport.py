"""The transport: where the API and the key come from, what is retried and what is not."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator

import pytest

from client import BatonClient, ServerError, Unavailable, VariableData, executable_process_ids, parse_address
from client.transport import default_api_key, default_url
from client.variables import DELETE, decode_variables, encode_variables
from tests.client.conftest import record_requests
from tests.e2e.conftest import free_port


def closed_port_client(retries: int = 2) -> BatonClient:
    return BatonClient(f"http://127.0.0.1:{free_port()}", "key", retries=retries, backoff=0.01)


def test_a_refused_connection_is_retried_then_unavailable():
    baton = closed_port_client(retries=2)
    sent = record_requests(baton)
    with pytest.raises(Unavailable) as caught:
        baton.processes.query()
    assert len(sent.sent) == 3  # the first attempt and two retries
    assert caught.value.status is None and caught.value.type == "CONNECTION"


def test_a_start_is_retried_when_the_connection_was_never_made():
    """Nothing reached the server, so even the non-idempotent create is safe to send again."""
    baton = closed_port_client(retries=3)
    sent = record_requests(baton)
    with pytest.raises(Unavailable):
        baton.process_instances.start("order")
    assert len(sent.sent) == 4
    assert all(r.method == "POST" and r.url.endswith("/process-instances") for r in sent.sent)


def test_zero_retries_sends_once():
    baton = closed_port_client(retries=0)
    sent = record_requests(baton)
    with pytest.raises(Unavailable):
        baton.time.get()
    assert len(sent.sent) == 1


class Gateway(http.server.BaseHTTPRequestHandler):
    """A stand-in for a reverse proxy in front of Baton that answers every request with the
    status in ``Gateway.status`` (Baton itself never answers 502/504)."""

    status = 503
    retry_after: str | None = "0"
    hits: list[str] = []

    def _answer(self) -> None:
        Gateway.hits.append(f"{self.command} {self.path}")
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        body = b'{"status": %d, "type": "UNAVAILABLE", "title": "upstream down", "detail": "try later"}' % self.status
        self.send_response(self.status)
        self.send_header("Content-Type", "application/problem+json")
        self.send_header("Content-Length", str(len(body)))
        if self.retry_after is not None:
            self.send_header("Retry-After", self.retry_after)
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PATCH = do_PUT = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def gateway() -> Iterator[str]:
    Gateway.hits = []
    Gateway.status, Gateway.retry_after = 503, "0"
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_503_is_retried_for_every_request_honouring_retry_after(gateway):
    Gateway.retry_after = "1"
    baton = BatonClient(gateway, "key", retries=2, backoff=0.01)
    began = time.monotonic()
    with pytest.raises(Unavailable) as caught:
        baton.process_instances.start("order")
    assert len(Gateway.hits) == 3 and time.monotonic() - began >= 2.0  # waited Retry-After twice
    assert caught.value.status == 503 and caught.value.detail == "try later"


def test_502_is_retried_for_queries_but_not_for_a_start(gateway):
    Gateway.status = 502
    baton = BatonClient(gateway, "key", retries=2, backoff=0.01)
    with pytest.raises(ServerError):
        baton.process_instances.query()
    assert len(Gateway.hits) == 3
    Gateway.hits.clear()
    with pytest.raises(ServerError):
        baton.process_instances.start("order")
    assert len(Gateway.hits) == 1  # it may have reached Baton: never sent twice


def test_the_url_and_key_come_from_the_environment_or_baton_ups_key_file(monkeypatch, tmp_path):
    monkeypatch.delenv("BATON_URL", raising=False)
    monkeypatch.delenv("BATON_API_KEY", raising=False)
    monkeypatch.setenv("BATON_DATA_DIR", str(tmp_path))
    assert default_url() == "http://127.0.0.1:8080"
    assert default_api_key() is None
    (tmp_path / "api-key").write_text("from-file\n")
    assert default_api_key() == "from-file"
    baton = BatonClient()
    assert baton.transport.session.headers["Authorization"] == "from-file"
    monkeypatch.setenv("BATON_API_KEY", "from-env")
    monkeypatch.setenv("BATON_URL", "http://baton.example:9000/")
    baton = BatonClient()
    assert baton.url == "http://baton.example:9000"
    assert baton.transport.session.headers["Authorization"] == "from-env"
    assert BatonClient(api_key="explicit").transport.session.headers["Authorization"] == "explicit"


def test_python_values_are_json_encoded_and_decoded():
    wire = encode_variables({"n": 1, "s": "x", "none": None, "gone": DELETE, "t": VariableData.text("raw")})
    assert wire == [
        {"name": "n", "data": {"encoding": "json", "value": "1"}},
        {"name": "s", "data": {"encoding": "json", "value": '"x"'}},
        {"name": "none", "data": {"encoding": "json", "value": "null"}},
        {"name": "gone"},
        {"name": "t", "data": {"encoding": "text", "value": "raw"}},
    ]
    decoded = decode_variables([item for item in wire if "data" in item])
    assert decoded == {"n": 1, "s": "x", "none": None, "t": "raw"}


def test_executable_processes_are_found_in_both_dialects_and_dtds_refused():
    zeebe = (
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">'
        '<bpmn:process id="a" isExecutable="true"/><bpmn:process id="b" isExecutable="false"/>'
        '<bpmn:process id="c"/></bpmn:definitions>'
    )
    assert executable_process_ids(zeebe) == ["a", "c"]  # a missing isExecutable means executable
    assert executable_process_ids('<definitions><process id="c" isExecutable="true"/></definitions>') == ["c"]
    with pytest.raises(ValueError, match="DTD"):
        executable_process_ids('<!DOCTYPE x [<!ENTITY a "b">]><definitions/>')


def test_addresses_parse_as_partition_and_id():
    assert parse_address("2025-05-01/12") == ("2025-05-01", 12)
    for bad in ("2025-05-01", "x/1", "2025-05-01/x"):
        with pytest.raises(ValueError):
            parse_address(bad)
