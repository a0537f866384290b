"""What the ``baton`` entry point says about itself, without a server."""

from __future__ import annotations

import re

from tests.cli_runner import run_baton


def test_baton_up_help_lists_every_option_with_its_meaning_and_where_things_are():
    result = run_baton("up", "--help")
    assert result.exit_code == 0, result.stderr
    options = re.findall(r"^\s+(--[a-z-]+)", result.stdout, flags=re.MULTILINE)
    assert set(options) >= {
        "--host",
        "--port",
        "--data-dir",
        "--no-auth",
        "--concurrency",
        "--api-workers",
        "--flower",
        "--flower-port",
    }, result.stdout
    for line in result.stdout.splitlines():
        if re.match(r"^\s+--[a-z-]+ [A-Z]+\s*$", line):
            raise AssertionError(f"an option without a description: {line!r}")
    for text in ("/docs", "/openapi.json", "/metrics", "Flower", "api-key", "servers.json", "Ctrl-C"):
        assert text in result.stdout, text


def test_old_option_spellings_still_work():
    assert "--workers" in run_baton("up", "--help").stdout  # alias of --concurrency
    assert "--address" in run_baton("flower", "--help").stdout  # alias of --host
    send = run_baton("send-message", "--help").stdout
    assert "--correlation-key" in send and "--key" in send


def test_every_list_command_offers_all_limit_and_offset():
    for command in (["instances"], ["jobs"], ["tasks"], ["incidents"]):
        shown = run_baton(*command, "--help").stdout
        for option in ("--all", "--limit", "--offset"):
            assert option in shown, (command, option)


def test_baton_api_refuses_to_start_without_a_broker():
    result = run_baton("api", env={"BATON_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/x", "BATON_BROKER_URL": ""})
    assert result.exit_code != 0 and "BATON_BROKER_URL" in result.stderr
