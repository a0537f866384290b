"""examples/order_worker.py runs against a real Baton and exits 0 when all its orders completed."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.client.conftest import ROOT_EXAMPLES

pytestmark = pytest.mark.e2e


def test_the_order_example_completes_50_instances(stack):
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT_EXAMPLES / "order_worker.py"),
            "--instances",
            "50",
            "--url",
            stack.api.url,
            "--api-key",
            stack.api.key,
            "--timeout",
            "120",
        ],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=ROOT_EXAMPLES.parent,
    )
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert "50 instances completed in" in result.stdout and "instances/s" in result.stdout
