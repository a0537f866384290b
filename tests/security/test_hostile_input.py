"""Scenario 13: hostile input. Each attack gets a 4xx problem in under a second, reads no file,
opens no connection and changes nothing in the database.

- BPMN XML: XXE through ``file:`` and ``http:`` entities, an external DTD, XInclude, billion
  laughs, quadratic blow-up;
- HTTP: a 50 MB body (with and without Content-Length), deeply nested JSON;
- expressions: attribute access, dunder names, calls to Python, deep nesting (refused when
  deployed), huge ranges and string blow-ups (bounded when evaluated: an incident);
- Concord payload ZIPs: a zip bomb, an entry whose header lies about its size, too many
  entries, ``..`` and absolute paths, backslashes, symbolic links.
"""

from __future__ import annotations

import io
import os
import socket
import stat
import struct
import tempfile
import threading
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
import requests

from tests.conftest import HOSTILE_EXPRESSIONS
from tests.faults.cluster import Cluster

pytestmark = [pytest.mark.e2e, pytest.mark.security]

MB = 1024 * 1024


# --- watching for file reads and connections -----------------------------------------------------


# How long the traps keep watching after the answer: a late file read or connection (a
# background thread of the server) would still be noticed.
GRACE = 0.2
# A hostile input must be refused without the server doing the expensive thing: the answers come
# in milliseconds (the printed figures). These bounds only detect a hang, or work far beyond any
# refusal (a billion laughs expanded, 50 MB parsed, a loop of 10^8 steps run).
HANG = 10.0


@dataclass
class Traps:
    """A named pipe that notices being opened, and a TCP port that notices being connected to."""

    fifo: str
    port: int
    opened: threading.Event
    connected: threading.Event
    sprung: threading.Event  # either of them


@contextmanager
def traps() -> Iterator[Traps]:
    directory = tempfile.mkdtemp(prefix="baton-trap-")
    fifo = os.path.join(directory, "secret")
    os.mkfifo(fifo)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.05)
    result = Traps(fifo, listener.getsockname()[1], threading.Event(), threading.Event(), threading.Event())
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            try:  # succeeds only while someone has the pipe open for reading
                fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
                os.write(fd, b"secret\n")
                os.close(fd)
                result.opened.set()
                result.sprung.set()
            except OSError:
                pass
            try:
                connection, _ = listener.accept()
                connection.close()
                result.connected.set()
                result.sprung.set()
            except OSError:
                pass

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    try:
        yield result
    finally:
        stop.set()
        thread.join()
        listener.close()
        os.unlink(fifo)
        os.rmdir(directory)


def table_counts(baton: Cluster) -> dict[str, int]:
    tables = [
        r[0]
        for r in baton.rows(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition "
            "AND c.relname <> 'alembic_version'"
        )
    ]
    return {t: baton.scalar(f'SELECT count(*) FROM "{t}"') for t in tables}  # noqa: S608


@dataclass
class Outcome:
    name: str
    status: int
    seconds: float
    body: str


def attack(baton: Cluster, name: str, send) -> Outcome:
    """Run one attack: it must be refused with a 4xx problem, touching nothing."""
    before = table_counts(baton)
    with traps() as trap:
        started = time.monotonic()
        response = send(trap)
        seconds = time.monotonic() - started
        trap.sprung.wait(GRACE)
    outcome = Outcome(name, response.status_code, seconds, response.text[:300])
    assert 400 <= response.status_code < 500, outcome
    assert response.headers.get("Content-Type", "").startswith("application/problem+json"), outcome
    assert seconds < HANG, outcome
    assert not trap.opened.is_set(), f"{name}: a file was opened"
    assert not trap.connected.is_set(), f"{name}: a connection was opened"
    assert table_counts(baton) == before, f"{name}: the database changed"
    return outcome


def deploy(api, xml: str, trap: Traps | None = None) -> requests.Response:
    return api.session.post(
        f"{api.url}/processes",
        json={"bpmnProcessId": "evil", "bpmnXml": xml, "version": uuid.uuid4().hex[:8], "workerId": "evil"},
        timeout=30,
    )


PROCESS = """<process id="evil" isExecutable="true"><startEvent id="s" name="{name}"/><endEvent id="e"/>
<sequenceFlow id="f" sourceRef="s" targetRef="e"/></process></definitions>"""
HEAD = '<definitions id="d" xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">'


def xml_attacks() -> dict[str, Callable[[Traps], str]]:
    lol = '<!ENTITY l0 "lol">' + "".join(f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    big = "x" * 100_000
    return {
        "XXE file: entity": lambda t: (
            f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file://{t.fifo}">]>'
            + HEAD
            + PROCESS.format(name="&x;")
        ),
        "XXE http: entity": lambda t: (
            f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "http://127.0.0.1:{t.port}/x">]>'
            + HEAD
            + PROCESS.format(name="&x;")
        ),
        "XXE parameter entity": lambda t: (
            f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY % p SYSTEM "http://127.0.0.1:{t.port}/p"> %p;]>'
            + HEAD
            + PROCESS.format(name="p")
        ),
        "external DTD": lambda t: (
            f'<?xml version="1.0"?><!DOCTYPE d SYSTEM "http://127.0.0.1:{t.port}/d.dtd">'
            + HEAD
            + PROCESS.format(name="d")
        ),
        "billion laughs": lambda t: f'<?xml version="1.0"?><!DOCTYPE d [{lol}]>' + HEAD + PROCESS.format(name="&l9;"),
        "quadratic blow-up": lambda t: (
            f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "{big}">]>' + HEAD + PROCESS.format(name="&a;" * 40_000)
        ),
    }


def test_hostile_xml_is_refused_without_reading_files_or_opening_connections(secured: Cluster):
    api = secured.api()
    outcomes = [
        attack(secured, name, lambda t, make=make: deploy(api, make(t))) for name, make in xml_attacks().items()
    ]
    # XInclude is not processed at all: the element is an unknown extension, its file never read.
    with traps() as trap:
        xinclude = deploy(
            api,
            '<definitions id="d" xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" '
            f'xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="file://{trap.fifo}" parse="text"/>'
            + PROCESS.format(name="i"),
        )
        trap.sprung.wait(GRACE)
        assert not trap.opened.is_set(), "XInclude read a file"
    print(
        "\nscenario 13 (XML): "
        + "; ".join(f"{o.name} -> {o.status} in {o.seconds * 1000:.0f} ms" for o in outcomes)
        + f"; XInclude left unprocessed ({xinclude.status_code}, no file read)"
    )


def raw_request(api, path: str, headers: dict[str, str], body: Iterator[bytes]) -> requests.Response:
    """Send a request whose body may be far larger than the server reads; return its answer."""
    host, port = api.url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}", f"Authorization: {api.key}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    try:
        for chunk in body:
            sock.sendall(chunk)
    except OSError:
        pass  # the server answered and closed while we were still sending
    data = b""
    try:
        while True:
            part = sock.recv(65536)
            if not part:
                break
            data += part
    except OSError:
        pass
    sock.close()
    head, _, content = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode(errors="replace").split("\r\n")
    response = requests.Response()
    response.status_code = int(status_line.split()[1]) if status_line else 0
    for line in header_lines:
        key, _, value = line.partition(":")
        response.headers[key.strip()] = value.strip()
    response._content = content
    return response


def test_huge_bodies_and_deep_json_are_refused(secured: Cluster):
    api = secured.api()
    size = 50 * MB

    def chunks(total: int, chunked: bool = False) -> Iterator[bytes]:
        piece = b"[" * MB
        for _ in range(total // MB):
            yield (b"%x\r\n" % len(piece) + piece + b"\r\n") if chunked else piece
        if chunked:
            yield b"0\r\n\r\n"

    outcomes = [
        attack(
            secured,
            "50 MB body with Content-Length",
            lambda t: raw_request(
                api, "/processes", {"Content-Type": "application/json", "Content-Length": str(size)}, chunks(size)
            ),
        ),
        attack(
            secured,
            "50 MB chunked body",
            lambda t: raw_request(
                api,
                "/process-instances",
                {"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
                chunks(size, chunked=True),
            ),
        ),
        attack(
            secured,
            "JSON nested 100,000 deep",
            lambda t: api.session.post(
                f"{api.url}/process-instances",
                data="[" * 100_000 + "]" * 100_000,
                headers={"Content-Type": "application/json"},
                timeout=30,
            ),
        ),
        attack(
            secured,
            "variable nested 1,000 deep",
            lambda t: api.session.post(
                f"{api.url}/process-instances",
                data='{"bpmnProcessId": "x", "workerId": "w", "variables": [{"name": "v", "data": {"encoding": "json", '
                '"value": ' + '"' + "[" * 1000 + "]" * 1000 + '"}}]}',
                headers={"Content-Type": "application/json"},
                timeout=30,
            ),
        ),
    ]
    print(
        "\nscenario 13 (HTTP): " + "; ".join(f"{o.name} -> {o.status} in {o.seconds * 1000:.0f} ms" for o in outcomes)
    )


def gateway_model(process_id: str, condition: str) -> str:
    return f"""<definitions id="d" xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <process id="{process_id}" isExecutable="true">
    <startEvent id="s"/><exclusiveGateway id="g" default="other"/>
    <endEvent id="yes"/><endEvent id="no"/>
    <sequenceFlow id="f0" sourceRef="s" targetRef="g"/>
    <sequenceFlow id="taken" sourceRef="g" targetRef="yes">
      <conditionExpression xsi:type="tFormalExpression"><![CDATA[{condition}]]></conditionExpression>
    </sequenceFlow>
    <sequenceFlow id="other" sourceRef="g" targetRef="no"/>
  </process>
</definitions>"""


# Expressions that cannot be valid: refused when the model is deployed.
INVALID_EXPRESSIONS = HOSTILE_EXPRESSIONS
# Valid expressions whose evaluation is too expensive: bounded at run time (an incident).
EXPENSIVE_EXPRESSIONS = {
    "huge range": "=count(for i in 1..100000000 return i) > 0",
    "string blow-up": '=string length(string join(for i in 1..10000000 return "aaaaaaaaaa")) > 0',
    "nested loops": "=count(for a in 1..1000, b in 1..1000 return a * b) > 0",
}


def test_hostile_expressions_are_refused_or_bounded(secured: Cluster):
    api = secured.api()
    # One instance first, so that the figures measure the evaluation, not the worker's first
    # task after start-up (its pool connects, caches the model, ...).
    api.deploy(gateway_model("warmUp", "=true"), "warmUp")
    api.wait_state(api.start("warmUp"), "COMPLETED")
    bounded = []
    for name, condition in EXPENSIVE_EXPRESSIONS.items():
        process_id = f"expensive{uuid.uuid4().hex[:6]}"
        api.deploy(gateway_model(process_id, condition), process_id)
        with traps() as trap:
            instance = api.start(process_id)
            incidents: list[dict] = []
            state = ""

            def evaluated(instance: dict = instance) -> bool:
                nonlocal incidents, state
                incidents = api.call(
                    "POST",
                    "/incidents/query",
                    {"partition": instance["partition"], "processInstanceId": instance["id"]},
                )["results"]
                state = api.instance(instance)["state"]
                return bool(incidents) or state not in ("STARTED", "CREATED")

            secured.wait_until(f"{name}: an incident or the end", evaluated, timeout=HANG * 3, every=0.05)
            assert not trap.opened.is_set() and not trap.connected.is_set()
        assert len(incidents) == 1 and state == "STARTED", (name, state, incidents)
        assert "limit" in incidents[0]["error"], (name, incidents[0]["error"])  # bounded, not failed otherwise
        evaluation = (
            secured.scalar(
                "SELECT extract(epoch FROM i.created_at - pi.created_at) FROM incident i JOIN process_instance pi "
                "ON pi.partition = i.partition AND pi.id = i.process_instance_id WHERE i.partition = :p AND i.id = :id",
                p=incidents[0]["partition"],
                id=incidents[0]["id"],
            )
            or 0
        )
        bounded.append((name, float(evaluation), incidents[0]["error"][:100]))
        assert float(evaluation) < HANG, (name, evaluation)
    print(
        "\nscenario 13 (expressions, run time): "
        + "; ".join(f"{n} -> incident after {s * 1000:.0f} ms ({e})" for n, s, e in bounded)
    )
    outcomes = [
        attack(secured, f"expression: {name}", lambda t, c=condition: deploy(api, gateway_model("evil", c)))
        for name, condition in INVALID_EXPRESSIONS.items()
    ]
    print(
        "\nscenario 13 (expressions): "
        + "; ".join(f"{o.name} -> {o.status} in {o.seconds * 1000:.0f} ms" for o in outcomes)
    )


# --- Concord payload archives -----------------------------------------------------------------


def archive(entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, content in entries:
            zf.writestr(info, content)
    return buffer.getvalue()


MAIN = ("_main.json", b'{"entryPoint": "evil"}')


def lying_sizes(data: bytes, real: int, claimed: int) -> bytes:
    """Rewrite every header of a one-entry archive to claim ``claimed`` bytes instead of ``real``."""
    patched = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = patched.find(signature)
        while at != -1:
            if struct.unpack_from("<I", patched, at + offset)[0] == real:
                struct.pack_into("<I", patched, at + offset, claimed)
            at = patched.find(signature, at + 4)
    return bytes(patched)


def concord_attacks() -> dict[str, bytes]:
    symlink = zipfile.ZipInfo("link")
    symlink.external_attr = (stat.S_IFLNK | 0o777) << 16
    bomb = 200 * MB
    liar = archive([MAIN, ("big.txt", b"\0" * (20 * MB))])
    return {
        "zip bomb (200 MB of zeros)": archive([MAIN, ("bomb.txt", b"\0" * bomb)]),
        "entry lying about its size": lying_sizes(liar, 20 * MB, 1000),
        "2,000 entries": archive([MAIN, *[(f"f{i}", b"") for i in range(2000)]]),
        "../ path": archive([MAIN, ("../../../tmp/baton-evil", b"x")]),
        "absolute path": archive([MAIN, ("/tmp/baton-evil", b"x")]),
        "../ inside processes/": archive([MAIN, ("processes/../../evil.bpmn", b"<x/>")]),
        "backslash path": archive([MAIN, ("..\\..\\evil", b"x")]),
        "symbolic link": archive([MAIN, (symlink, b"/etc/passwd")]),
        "not a zip": b"PK\x03\x04" + os.urandom(1000),
    }


def test_hostile_concord_payloads_are_refused(secured: Cluster):
    api = secured.api()
    outcomes = []
    for name, data in concord_attacks().items():
        outcome = attack(
            secured,
            f"Concord: {name}",
            lambda t, d=data: api.session.post(
                f"{api.url}/api/v1/process",
                data=d,
                headers={"Content-Type": "application/octet-stream"},
                timeout=30,
            ),
        )
        assert outcome.status != 404, f"{outcome}: the Concord facade is not there"
        outcomes.append(outcome)
    assert not os.path.exists("/tmp/baton-evil")
    print(
        "\nscenario 13 (Concord): "
        + "; ".join(f"{o.name} -> {o.status} in {o.seconds * 1000:.0f} ms" for o in outcomes)
    )
