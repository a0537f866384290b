"""Static checks of the Dockerfile and .dockerignore, and the HEALTHCHECK command run for real.

No Docker engine is needed (nor used): the Dockerfile is parsed into its instructions.
"""

from __future__ import annotations

import http.server
import json
import os
import re
import shlex
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from tests.deploy.tools import ROOT, find_tool, missing

DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"


@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str


def parse(text: str) -> list[Instruction]:
    """Instructions of a Dockerfile: comments dropped, continuation lines joined."""
    instructions: list[Instruction] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        pending += line
        keyword, _, args = pending.partition(" ")
        instructions.append(Instruction(keyword.upper(), args.strip()))
        pending = ""
    assert not pending, "the Dockerfile ends inside a continued line"
    return instructions


@pytest.fixture(scope="module")
def instructions() -> list[Instruction]:
    return parse(DOCKERFILE.read_text())


def stages(instructions: list[Instruction]) -> list[list[Instruction]]:
    result: list[list[Instruction]] = []
    for instruction in instructions:
        if instruction.keyword == "FROM":
            result.append([])
        if result:
            result[-1].append(instruction)
    return result


def final_stage(instructions: list[Instruction]) -> list[Instruction]:
    return stages(instructions)[-1]


def only(stage: list[Instruction], keyword: str) -> list[Instruction]:
    return [i for i in stage if i.keyword == keyword]


def exec_form(instruction: Instruction) -> list[str]:
    value = json.loads(instruction.args)
    assert isinstance(value, list), f"{instruction.keyword} must use the exec (JSON) form"
    return value


def global_args(instructions: list[Instruction]) -> dict[str, str]:
    """ARGs before the first FROM, with their defaults."""
    values: dict[str, str] = {}
    for instruction in instructions:
        if instruction.keyword == "FROM":
            break
        if instruction.keyword == "ARG":
            name, _, default = instruction.args.partition("=")
            values[name] = default.strip('"')
    return values


def test_every_stage_is_python_311_slim(instructions: list[Instruction]) -> None:
    args = global_args(instructions)
    for stage in stages(instructions):
        image = stage[0].args.split()[0]
        image = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], image)
        assert image.startswith("python:3.11-slim"), image


def test_multi_stage_final_image_copies_only_the_virtualenv(instructions: list[Instruction]) -> None:
    assert len(stages(instructions)) >= 2
    copies = only(final_stage(instructions), "COPY")
    assert copies, "the final stage copies the virtualenv from the build stage"
    for copy in copies:
        assert copy.args.startswith("--from="), f"the final stage copies nothing from the context: {copy.args}"
        assert copy.args.split()[1:] == ["/opt/venv", "/opt/venv"]


def test_no_build_tools_in_the_final_image(instructions: list[Instruction]) -> None:
    tools = re.compile(r"\b(build-essential|gcc|g\+\+|make|cc|clang|libpq-dev|python3-dev|git)\b")
    for run in only(final_stage(instructions), "RUN"):
        assert not tools.search(run.args), run.args
        assert "apt-get install" not in run.args, "the final stage installs no packages"


def test_installs_the_project_and_flower(instructions: list[Instruction]) -> None:
    build = stages(instructions)[0]
    runs = " ".join(i.args for i in only(build, "RUN"))
    assert re.search(r"pip install \.(\s|$)", runs), "pip install . (the project's pyproject.toml)"
    flower_spec = next(i.args for i in only(build, "ARG") if i.args.startswith("FLOWER_SPEC="))
    assert "flower" in flower_spec
    assert "${FLOWER_SPEC}" in runs


def test_runs_as_a_non_root_user(instructions: list[Instruction]) -> None:
    stage = final_stage(instructions)
    users = only(stage, "USER")
    assert users, "the final stage sets USER"
    user, _, group = users[-1].args.partition(":")
    assert user not in {"root", "0"}
    assert group not in {"root", "0"}
    # Numeric, so that Kubernetes' runAsNonRoot can check it, and created in the image.
    assert user.isdigit(), "USER is numeric (runAsNonRoot verifies numeric ids only)"
    runs = " ".join(i.args for i in only(stage, "RUN"))
    assert f"--uid {user}" in runs
    # The chart's default securityContext uses the same ids.
    values = (ROOT / "helm" / "baton" / "values.yaml").read_text()
    assert f"runAsUser: {user}" in values


def test_entrypoint_cmd_and_port(instructions: list[Instruction]) -> None:
    stage = final_stage(instructions)
    assert exec_form(only(stage, "ENTRYPOINT")[-1]) == ["baton"]
    assert exec_form(only(stage, "CMD")[-1]) == ["api", "--bind", "0.0.0.0:8080"]
    assert only(stage, "EXPOSE")[-1].args.split() == ["8080"]


SECRET_NAME = re.compile(
    r"PASSWORD|PASSWD|SECRET|TOKEN|CREDENTIAL|API_KEY|ENCRYPTION_KEYS|DATABASE_URL|BROKER_URL|AUTH"
)


def _assignments(instruction: Instruction) -> list[tuple[str, str]]:
    if instruction.keyword == "ARG":
        name, _, value = instruction.args.partition("=")
        return [(name, value)]
    pairs = []
    for token in shlex.split(instruction.args):
        name, _, value = token.partition("=")
        pairs.append((name, value))
    return pairs


def test_no_secrets_baked_in(instructions: list[Instruction]) -> None:
    for instruction in instructions:
        if instruction.keyword in {"ENV", "ARG", "LABEL"}:
            for name, value in _assignments(instruction):
                assert not SECRET_NAME.search(name.upper()), f"{instruction.keyword} {name}={value}"
        if instruction.keyword in {"COPY", "ADD"}:
            assert ".env" not in instruction.args.split()
        assert not re.search(r"(redis|postgres(ql)?)://[^\s\"']*:[^\s\"'@]+@", instruction.args), instruction.args


def test_dockerignore_keeps_secrets_and_noise_out_of_the_context() -> None:
    patterns = {
        line.strip() for line in DOCKERIGNORE.read_text().splitlines() if line.strip() and not line.startswith("#")
    }
    for pattern in (".git", ".venv", ".env", ".env.*", "tests", "bench", ".baton"):
        assert pattern in patterns, pattern
    # What `pip install .` needs must stay in the context.
    for needed in ("pyproject.toml", "README.md", "engine", "api", "workers", "client", "cli"):
        assert needed not in patterns
        assert f"!{needed}" not in patterns


# --- the HEALTHCHECK, run for real against a local HTTP server --------------------------------


def healthcheck_argv(instructions: list[Instruction]) -> list[str]:
    checks = only(final_stage(instructions), "HEALTHCHECK")
    assert len(checks) == 1
    options, _, command = checks[0].args.partition("CMD ")
    assert "--interval=" in options and "--timeout=" in options
    return exec_form(Instruction("CMD", command))


def test_healthcheck_uses_python_and_readiness(instructions: list[Instruction]) -> None:
    argv = healthcheck_argv(instructions)
    assert argv[0] == "python", "slim images have no curl"
    assert "/readiness" in " ".join(argv)
    env = {name: value for i in only(final_stage(instructions), "ENV") for name, value in _assignments(i)}
    assert env["BATON_HEALTHCHECK_URL"] == "http://127.0.0.1:8080/readiness"


class _Handler(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.server.status if self.path == "/readiness" else 404)  # type: ignore[attr-defined]
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


@contextmanager
def readiness_server(status: int) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.status = status  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/readiness"
    finally:
        server.shutdown()
        server.server_close()


def run_healthcheck(argv: list[str], url: str) -> int:
    # A dead proxy in the environment: the check must go straight to the container itself.
    proxy = "http://127.0.0.1:9"
    env = {**os.environ, "BATON_HEALTHCHECK_URL": url, "HTTP_PROXY": proxy, "http_proxy": proxy}
    env.update(NO_PROXY="", no_proxy="")
    return subprocess.run([sys.executable, *argv[1:]], env=env, capture_output=True, timeout=30, check=False).returncode


@pytest.mark.parametrize(("status", "healthy"), [(200, True), (503, False), (500, False)])
def test_healthcheck_exit_code_follows_readiness(instructions: list[Instruction], status: int, healthy: bool) -> None:
    argv = healthcheck_argv(instructions)
    with readiness_server(status) as url:
        code = run_healthcheck(argv, url)
    assert (code == 0) is healthy, f"readiness {status} gave exit code {code}"
    if not healthy:
        assert code == 1, "Docker reserves exit code 2"


def test_healthcheck_fails_when_nothing_listens(instructions: list[Instruction]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert run_healthcheck(healthcheck_argv(instructions), f"http://127.0.0.1:{port}/readiness") == 1


def test_hadolint() -> None:
    """hadolint (the Dockerfile linter, with ShellCheck for RUN lines) finds nothing."""
    hadolint = find_tool("hadolint")
    if hadolint is None:
        missing("hadolint")
    result = subprocess.run(
        [hadolint, "--no-color", "--failure-threshold", "style", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
