"""`baton up` on a fresh data directory: embedded PostgreSQL and Redis, API, worker, beat."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import psutil
import pytest
import requests

from tests.conftest import conformance_xml
from tests.e2e.conftest import ROOT, STARTUP_DEADLINE, Api, free_port, wait_ready
from tests.waiting import DEADLINE, LOCK_TIMEOUT_MS

pytestmark = pytest.mark.e2e


def start_up(data_dir, port: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BATON_")}
    return subprocess.Popen(
        [sys.executable, "-m", "cli.main", "up", "--data-dir", str(data_dir), "--port", str(port)],
        env={**env, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def stop_up(process: subprocess.Popen[bytes], how: int = signal.SIGINT) -> tuple[bytes, list[psutil.Process]]:
    children = psutil.Process(process.pid).children(recursive=True)
    process.send_signal(how)
    output, _ = process.communicate(timeout=60)  # a hang detector: gunicorn's graceful stop is 20 s
    _, alive = psutil.wait_procs(children, timeout=DEADLINE)
    return output, alive


def test_baton_up_runs_everything_and_ctrl_c_leaves_nothing_behind(tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = start_up(tmp_path, port)
    try:
        wait_ready(url, STARTUP_DEADLINE, [process])
        key_file = tmp_path / "api-key"
        assert oct(key_file.stat().st_mode & 0o777) == "0o600"
        api = Api(url, key_file.read_text().strip())
        assert requests.post(f"{url}/processes/query", json={}, timeout=5).status_code == 401
        api.deploy(conformance_xml("task/service.bpmn"), "serviceTest")
        instance = api.start("serviceTest")
        jobs = api.call("POST", "/jobs/lock", {"workerId": "w", "timeout": LOCK_TIMEOUT_MS})["jobs"]
        api.call("PATCH", f"/jobs/{jobs[0]['partition']}/{jobs[0]['id']}/complete", {"workerId": "w"})
        api.wait_state(instance, "COMPLETED")
    finally:
        output, alive = stop_up(process)
    text = output.decode(errors="replace")
    assert f"{url}/docs" in text and f"{url}/openapi.json" in text and "api-key" in text
    assert process.returncode is not None
    assert alive == [], f"left behind: {alive}"

    # a second `baton up` on the same data directory keeps the data and the key
    process = start_up(tmp_path, port)
    try:
        wait_ready(url, STARTUP_DEADLINE, [process])
        processes = api.call("POST", "/processes/query", {})
        assert [p["bpmnProcessId"] for p in processes["results"]] == ["serviceTest"]
        assert api.instance(instance)["state"] == "COMPLETED"
    finally:
        _, alive = stop_up(process, signal.SIGTERM)
    assert alive == []


def test_baton_up_without_auth_says_so_loudly(tmp_path):
    port = free_port()
    process = start_up(tmp_path, port)
    try:
        wait_ready(f"http://127.0.0.1:{port}", STARTUP_DEADLINE, [process])
    finally:
        stop_up(process)
    # with --no-auth
    env = {k: v for k, v in os.environ.items() if not k.startswith("BATON_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "up", "--data-dir", str(tmp_path), "--port", str(port), "--no-auth"],
        env={**env, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_ready(f"http://127.0.0.1:{port}", STARTUP_DEADLINE, [process])
        assert requests.post(f"http://127.0.0.1:{port}/processes/query", json={}, timeout=5).status_code == 200
    finally:
        output, alive = stop_up(process)
    assert "AUTHENTICATION IS OFF" in output.decode(errors="replace")
    assert alive == []
