"""End-to-end fixtures: the real processes (gunicorn API, Celery worker, beat) on a fresh database
and the test Redis, talking HTTP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.waiting import DEADLINE, wait_for

ROOT = Path(__file__).resolve().parents[2]
# Seconds processes (gunicorn, Celery, beat, or all of `baton up`) may take to answer /readiness;
# a hang detector, like every deadline of the suite (tests/waiting.py).
STARTUP_DEADLINE = 60.0


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(url: str, timeout: float, processes: list[subprocess.Popen[bytes]] = ()) -> None:  # type: ignore[assignment]
    """Wait until ``GET {url}/readiness`` answers 200; fail at once if one of ``processes`` exits."""

    def ready() -> bool:
        for process in processes:
            if process.poll() is not None:
                raise RuntimeError(f"{process.args} exited with {process.returncode}")
        try:
            return requests.get(f"{url}/readiness", timeout=1).status_code == 200
        except requests.RequestException:
            return False

    wait_for(ready, timeout=timeout, interval=0.2, what=f"{url}/readiness answering 200")


@dataclass
class Api:
    """A tiny HTTP client of a running Baton."""

    url: str
    key: str
    session: requests.Session = field(default_factory=requests.Session)

    def __post_init__(self) -> None:
        self.session.headers["Authorization"] = self.key

    def call(
        self, method: str, path: str, body: Any = None, expect: int | tuple[int, ...] = (200, 201, 204), **kwargs: Any
    ) -> Any:
        response = self.session.request(method, self.url + path, json=body, timeout=90, **kwargs)
        expected = (expect,) if isinstance(expect, int) else expect
        assert response.status_code in expected, (method, path, response.status_code, response.text)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    def deploy(self, xml: str, process_id: str, version: str = "1", **extra: Any) -> dict[str, Any]:
        return self.call(
            "POST",
            "/processes",
            {"bpmnProcessId": process_id, "bpmnXml": xml, "version": version, "workerId": "e2e", **extra},
        )

    def start(self, process_id: str, **extra: Any) -> dict[str, Any]:
        return self.call("POST", "/process-instances", {"bpmnProcessId": process_id, "workerId": "e2e", **extra})

    def instance(self, instance: dict[str, Any]) -> dict[str, Any]:
        return self.call(
            "POST", "/process-instances/query", {"partition": instance["partition"], "id": instance["id"]}
        )["results"][0]

    def wait_state(self, instance: dict[str, Any], state: str, timeout: float = DEADLINE) -> dict[str, Any]:
        """Poll the instance until it is in ``state``; returns it."""
        return wait_for(
            lambda: self.instance(instance),
            lambda current: current["state"] == state,
            timeout=timeout,
            what=f"instance {instance['partition']}/{instance['id']} {state}",
        )


@dataclass
class Stack:
    """API, worker and beat processes of one e2e test module."""

    api: Api
    database_url: str
    processes: list[subprocess.Popen[bytes]]


def spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "cli.main", *args], env=env, cwd=ROOT)


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def stack(fresh_database: Any, redis_url: str) -> Iterator[Stack]:
    """A running Baton: gunicorn API, Celery worker (2 processes) and beat."""
    from engine.commands.api_keys import create_api_key
    from engine.commands.partitions import ensure_ahead
    from engine.store.db import open_database

    database_url = fresh_database()
    db = open_database(database_url, pool_size=1)
    key = db.run(create_api_key, "e2e")
    db.run(ensure_ahead, 3)
    db.dispose()
    port = free_port()
    env = {
        **os.environ,
        "BATON_DATABASE_URL": database_url,
        "BATON_BROKER_URL": redis_url,
        "BATON_QUEUE": f"baton-e2e-{uuid.uuid4().hex[:8]}",
        "PYTHONPATH": str(ROOT),
    }
    processes = [
        spawn(["api", "--bind", f"127.0.0.1:{port}", "--workers", "1"], env),
        spawn(["worker", "--concurrency", "2"], env),
        spawn(["beat", "--schedule", f"/tmp/baton-e2e-beat-{port}"], env),
    ]
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, STARTUP_DEADLINE, processes)
        yield Stack(Api(url, key), database_url, processes)
    finally:
        stop(processes)
