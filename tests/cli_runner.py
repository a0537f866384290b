"""Running the real ``baton`` entry point (the console script ``pip install`` made), as a user does."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

BATON = Path(sys.executable).with_name("baton")


@dataclass(frozen=True)
class CliResult:
    """What one ``baton`` command printed, and its exit code."""

    exit_code: int
    stdout: str
    stderr: str


def run_baton(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> CliResult:
    """Run ``baton ARGS`` as a separate process (stdin closed, stdout and stderr captured: no
    terminal, as in a script)."""
    assert BATON.exists(), f"{BATON} is missing: install the project first (pip install -e .)"
    completed = subprocess.run(
        [str(BATON), *args],
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return CliResult(completed.returncode, completed.stdout, completed.stderr)
