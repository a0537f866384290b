"""The corpus figures at the end of a session, and the expectation lines to paste when the engine
changed (printed only when some corpus test disagreed with ``expectations.toml``)."""

from __future__ import annotations

from typing import Any

from tests.corpus.expectations import PENDING
from tests.corpus.files import corpus_files
from tests.corpus.report import REPORT


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "n/a"


def deploy_summary() -> str | None:
    """The deploy figures over the files the session tried."""
    files = {file.name: file for file in corpus_files()}
    tried = {name: outcome for name, outcome in REPORT.deploys.items() if name in files}
    if not tried:
        return None
    counted = [name for name in tried if files[name].counted]
    deployed = sum(tried[name] == "deployed" for name in counted)
    refused: dict[str, int] = {}
    for outcome in tried.values():
        if outcome != "deployed":
            refused[outcome] = refused.get(outcome, 0) + 1
    next_issue = sum(tried[name] == "next-issue" for name in counted)
    by_design = sum(tried[name] == "invalid-by-design" for name in counted)
    target_base = len(counted) - next_issue
    refusals = ", ".join(f"{count} {category}" for category, count in sorted(refused.items())) or "none"
    return (
        f"corpus: deployed {deployed} of {len(counted)} counted files ({_percent(deployed, len(counted))}) "
        f"— counted = files with a process not marked isExecutable=false, excluding malformed; "
        f"without the {next_issue} next-issue files: {deployed} of {target_base} "
        f"({_percent(deployed, target_base)}, target ≥ 95%; also without the {by_design} invalid-by-design: "
        f"{_percent(deployed, target_base - by_design)}); {len(tried)} files tried; refused: {refusals}"
    )


def run_summary() -> str | None:
    """The run figures over the processes the session drove."""
    if not REPORT.runs:
        return None
    completed = sum(state == "COMPLETED" for state in REPORT.runs.values())
    return (
        f"corpus run: {completed} of {len(REPORT.runs)} deployed processes with a none start event "
        f"reached COMPLETED ({_percent(completed, len(REPORT.runs))})"
    )


def pytest_terminal_summary(terminalreporter: Any) -> None:
    lines = [line for line in (deploy_summary(), run_summary()) if line]
    if not lines:
        return
    terminalreporter.section("public BPMN corpus")
    for line in lines:
        terminalreporter.write_line(line)
    titles = {
        PENDING: "refused but not expected: add to [pending] (or [refused] with a category), fill in match/reason",
        "not_completed": "add to [not_completed] (and edit the reason)",
        "remove": "no longer true: remove from expectations.toml",
    }
    for table, suggested in REPORT.suggestions.items():
        terminalreporter.write_line(f"-- {titles[table]}:")
        for line in suggested:
            terminalreporter.write_line(line)
