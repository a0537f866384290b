"""The first hour of a new user: `baton up --flower` on a fresh machine (its own home, state and
data directories), the banner, the CLI finding the key from the URL alone, Flower, and the
README's snippets executed as written."""

from __future__ import annotations

import os
import re
import signal
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest
import requests

from tests.cli_runner import BATON, run_baton
from tests.e2e.conftest import ROOT, free_port, wait_ready

pytestmark = pytest.mark.e2e

README = ROOT / "README.md"


@dataclass
class Up:
    """A running `baton up` and the environment of a user on the same machine."""

    process: subprocess.Popen[str]
    url: str
    flower_url: str
    data_dir: Path
    env: dict[str, str]
    lines: list[str] = field(default_factory=list)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for_output(self, text: str, timeout: float = 60) -> None:
        deadline = threading.Event()
        timer = threading.Timer(timeout, deadline.set)
        timer.start()
        try:
            while text not in self.output:
                assert not deadline.wait(0.1), f"{text!r} not printed within {timeout} s:\n{self.output}"
        finally:
            timer.cancel()


def user_environment(tmp_path: Path) -> dict[str, str]:
    """A user's environment: no BATON_* variables, an empty home and state directory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BATON_")}
    (tmp_path / "home").mkdir()
    env.update(
        HOME=str(tmp_path / "home"),
        XDG_STATE_HOME=str(tmp_path / "state"),
        PATH=f"{BATON.parent}{os.pathsep}{env.get('PATH', '')}",
    )
    env.pop("BATON_FLOWER_BASIC_AUTH", None)
    return env


@pytest.fixture(scope="module")
def up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Up]:
    tmp_path = tmp_path_factory.mktemp("first-hour")
    env = user_environment(tmp_path)
    port, flower_port = free_port(), free_port()
    data_dir = tmp_path / "data"
    process = subprocess.Popen(
        [
            str(BATON),
            "up",
            "--data-dir",
            str(data_dir),
            "--port",
            str(port),
            "--flower",
            "--flower-port",
            str(flower_port),
        ],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    running = Up(process, f"http://127.0.0.1:{port}", f"http://127.0.0.1:{flower_port}", data_dir, env)
    reader = threading.Thread(target=lambda: running.lines.extend(iter(process.stdout.readline, "")), daemon=True)
    reader.start()
    try:
        wait_ready(running.url, 90, [process])
        running.wait_for_output("Stop with Ctrl-C")
        yield running
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            process.wait(60)


def test_the_banner_says_where_everything_is_and_how_to_stop(up: Up):
    banner = up.output[up.output.index("Baton is running.") :]
    for text in (
        f"API        {up.url}",
        f"{up.url}/docs",
        f"{up.url}/openapi.json",
        f"{up.url}/metrics",
        f"Flower     {up.flower_url}",
        f"Data dir   {up.data_dir}",
        f"API key    {up.data_dir / 'api-key'}",
        "Stop with Ctrl-C",
    ):
        assert text in banner, (text, banner)
    assert "no authentication" in banner and "127.0.0.1" in banner  # how Flower is protected


def test_the_cli_finds_the_key_of_baton_up_from_the_url_alone(up: Up):
    registry = Path(up.env["XDG_STATE_HOME"]) / "baton" / "servers.json"
    assert stat.S_IMODE(registry.stat().st_mode) == 0o600
    port = up.url.rsplit(":", 1)[1]
    for url in (up.url, f"http://localhost:{port}"):
        result = run_baton("processes", "--url", url, env=up.env)
        assert result.exit_code == 0, result.stderr
    assert run_baton("instances", env={**up.env, "BATON_URL": up.url}).exit_code == 0


def test_a_401_says_where_the_cli_looked_for_a_key(up: Up, tmp_path: Path):
    elsewhere = {**up.env, "XDG_STATE_HOME": str(tmp_path / "other-state"), "HOME": str(tmp_path)}
    missing = run_baton("processes", "--url", up.url, env=elsewhere)
    assert missing.exit_code == 6
    for text in ("no API key was found", "BATON_API_KEY", "servers.json", "api-key", "--api-key"):
        assert text in missing.stderr, (text, missing.stderr)
    wrong = run_baton("processes", "--url", up.url, env={**up.env, "BATON_API_KEY": "not-a-key"})
    assert wrong.exit_code == 6 and "refused the API key from BATON_API_KEY" in wrong.stderr, wrong.stderr


def test_flower_answers_its_json_api_and_logs_nothing_alarming(up: Up):
    workers = requests.get(f"{up.flower_url}/api/workers", timeout=30)
    assert workers.status_code == 200, workers.text
    assert workers.json(), "Flower sees no worker"
    for alarming in ("incorrectly specified", "Inspect method", "SecurityWarning", "superuser", "Traceback"):
        assert alarming not in up.output, (alarming, up.output)


def readme_blocks(marker: str) -> list[tuple[str, str]]:
    """The fenced code blocks of the README that follow ``<!-- README test: MARKER -->``."""
    pattern = re.compile(rf"<!-- README test: {marker} -->\n```(\w+)\n(.*?)\n```", re.DOTALL)
    return pattern.findall(README.read_text())


def test_the_readme_snippets_run_from_any_directory(up: Up, tmp_path: Path):
    blocks = readme_blocks("run")
    assert len(blocks) >= 3, "the README lost its tested snippets"
    env = {**up.env, "BATON_URL": up.url, "BATON_DATA_DIR": str(up.data_dir)}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"  # the project's python
    outputs = []
    for language, code in blocks:
        assert language == "sh", language
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", code],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, (code, done.stdout, done.stderr)
        outputs.append(done.stdout)
    assert '"results"' in outputs[0]  # the curl query
    assert outputs[1].strip().endswith("COMPLETED")  # the first process
    assert "first" in outputs[2]  # the CLI lists its instance


def test_ctrl_c_stops_everything_and_removes_the_record(up: Up):
    children = psutil.Process(up.process.pid).children(recursive=True)
    up.process.send_signal(signal.SIGINT)
    assert up.process.wait(60) == 0
    _, alive = psutil.wait_procs(children, timeout=20)
    assert alive == [], f"left behind: {alive}"
    registry = Path(up.env["XDG_STATE_HOME"]) / "baton" / "servers.json"
    assert up.url.replace("127.0.0.1", "localhost") not in registry.read_text()
    unreachable = run_baton("processes", "--url", up.url, env=up.env)
    assert unreachable.exit_code == 5
