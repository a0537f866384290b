"""Server commands that need no services: logging format, Flower's auth rule."""

from __future__ import annotations

import json
import logging

from click.testing import CliRunner

from cli.logs import JsonFormatter
from cli.main import cli


def test_json_logs_carry_the_ids_given_as_extra():
    record = logging.LogRecord("workers", logging.WARNING, __file__, 1, "task %s failed", ("7",), None)
    record.partition = "2025-05-01"
    record.task_id = 7
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "task 7 failed" and line["level"] == "WARNING"
    assert line["partition"] == "2025-05-01" and line["task_id"] == 7 and "time" in line


def test_flower_is_never_served_without_credentials(monkeypatch):
    monkeypatch.delenv("BATON_FLOWER_BASIC_AUTH", raising=False)
    monkeypatch.setenv("BATON_BROKER_URL", "redis://127.0.0.1:1/0")
    result = CliRunner().invoke(cli, ["flower"])
    assert result.exit_code != 0 and "BATON_FLOWER_BASIC_AUTH" in result.output
    result = CliRunner().invoke(cli, ["flower", "--no-auth", "--address", "0.0.0.0"])  # noqa: S104
    assert result.exit_code != 0 and "loopback" in result.output


def test_every_server_command_is_listed():
    result = CliRunner().invoke(cli, ["--help"])
    for command in ("up", "migrate", "api", "worker", "beat", "flower", "api-key"):
        assert command in result.output
