"""Scenario 12: schemathesis against ``/openapi.json`` — no 5xx, no response outside the schema,
and every endpoint answers 401 without a valid key."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
import requests

from tests.conftest import conformance_xml
from tests.faults.cluster import Cluster, size

pytestmark = [pytest.mark.e2e, pytest.mark.security]

PUBLIC = {"/readiness", "/openapi.json"}


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
        "json",
        "--report-json-path",
        str(report),
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
    # "Runtime Error" is schemathesis failing inside itself (e.g. hypothesis describing a lambda:
    # "AST constructor recursion depth mismatch" on Python 3.11), not an answer of Baton's; a
    # network error (a hang, a dropped connection) is.
    assert [error for error in data["errors"] if error["title"] != "Runtime Error"] == []
