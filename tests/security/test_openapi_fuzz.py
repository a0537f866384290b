"""Scenario 12: schemathesis against ``/openapi.json`` — no 5xx, no response outside the schema,
and every endpoint answers 401 without a valid key."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import conformance_xml
from tests.faults.cluster import Cluster, size

pytestmark = [pytest.mark.e2e, pytest.mark.security]

PUBLIC = {"/readiness", "/openapi.json"}

# CPython before 3.11.8 and 3.12.2 counts the depth of ast.parse's tree construction in one
# counter shared by all threads (gh-106905); when a garbage collection lets another thread parse
# meanwhile, it raises SystemError("AST constructor recursion depth mismatch (before=…, after=…)").
# schemathesis' two workers are threads, and hypothesis parses source to describe a lambda
# (hypothesis/internal/lambda_sources.py catches only SyntaxError), so on those interpreters the
# run may report this as a "Runtime Error" of its own. It is no answer of Baton's; nothing else is
# tolerated.
AST_RACE = sys.version_info < (3, 11, 8) or (3, 12) <= sys.version_info < (3, 12, 2)


def known_interpreter_error(error: dict) -> bool:
    """Whether a schemathesis error (an NDJSON ``NonFatalError`` value) is the race above."""
    return (
        AST_RACE
        and error.get("type") == "SystemError"
        and str(error.get("message", "")).startswith("AST constructor recursion depth mismatch")
    )


def engine_errors(ndjson: Path) -> list[dict]:
    """The errors schemathesis met while running (not failures of Baton's answers)."""
    errors = []
    with open(ndjson) as events:
        for line in events:
            if line.startswith('{"NonFatalError"'):
                event = json.loads(line)["NonFatalError"]
                errors.append({"label": event.get("label"), **event.get("value", {})})
    return errors


def concrete(path: str) -> str:
    return path.replace("{partition}", "2025-01-01").replace("{id}", "1").replace("{name}", "x")


def test_every_endpoint_refuses_requests_without_a_valid_key(secured: Cluster):
    api = secured.api()
    document = requests.get(f"{api.url}/openapi.json", timeout=10).json()
    operations = [(m.upper(), p) for p, item in document["paths"].items() for m in item if m != "parameters"]
    operations += [("GET", "/metrics")]  # not in the document, but served
    refused: dict[str, list[tuple[str, str, int]]] = {"missing": [], "invalid": [], "revoked-like": []}
    headers = {
        "missing": {},
        "invalid": {"Authorization": "baton_not-a-key"},
        "revoked-like": {"Authorization": "Bearer "},
    }
    for method, path in operations:
        for kind, header in headers.items():
            response = requests.request(
                method, api.url + concrete(path), headers=header, json={} if method != "GET" else None, timeout=10
            )
            if path in PUBLIC:
                assert response.status_code != 401, (method, path)
                continue
            refused[kind].append((method, path, response.status_code))
    wrong = [entry for entries in refused.values() for entry in entries if entry[2] != 401]
    print(
        f"\nscenario 12: {len(operations)} operations x {len(headers)} kinds of missing/invalid key: "
        f"{sum(len(v) for v in refused.values()) - len(wrong)} answered 401, public ones {sorted(PUBLIC)} open"
    )
    assert wrong == []


def test_schemathesis_finds_no_server_error_and_no_response_outside_the_schema(secured: Cluster, tmp_path):
    api = secured.api()
    api.deploy(conformance_xml("task/service.bpmn"), "serviceTest")  # something for the fuzzer to find
    api.start("serviceTest")
    report = tmp_path / "schemathesis.json"
    events = tmp_path / "schemathesis.ndjson"
    checks = [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "ignored_auth",
    ]
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        f"{api.url}/openapi.json",
        "--header",
        f"Authorization:{api.key}",
        "--checks",
        ",".join(checks),
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--max-examples",
        str(size(10, 200)),
        "--max-time",
        str(size(30, 480)),
        "--seed",
        "7",
        "--workers",
        "2",
        "--request-timeout",
        "70",  # POST /jobs/lock may long-poll for up to 60 s
        "--suppress-health-check",
        "all",
        "--no-color",
        "--report",
        "json,ndjson",
        "--report-json-path",
        str(report),
        "--report-ndjson-path",
        str(events),
    ]
    started = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True, timeout=size(120, 700))
    elapsed = time.monotonic() - started
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    summary = lines[-25:] if result.returncode == 0 else lines[-400:]  # the failures in full
    print(f"\nscenario 12: schemathesis ran {elapsed:.0f}s, exit {result.returncode}:\n" + "\n".join(summary))
    data = json.loads(report.read_text())
    print(json.dumps({k: v for k, v in data.items() if k not in ("operations", "phases")}, indent=1)[:2000])
    assert data["failures"] == [], "schemathesis found failures (see above)"
    # Every error fails the test (a network error is a hang or a dropped connection), except the
    # interpreter race above, which schemathesis reports as a "Runtime Error".
    errors = engine_errors(events)
    unknown = [error for error in errors if not known_interpreter_error(error)]
    assert unknown == [], f"schemathesis met errors: {unknown[:5]}"
    tolerated = {"Runtime Error"} if errors else set()
    assert [error for error in data["errors"] if error["title"] not in tolerated] == [], data["errors"]
