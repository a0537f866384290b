"""Scenario 9: the API process dies between COMMIT and publish.

An API started with ``BATON_FAULT_CRASH_BEFORE_PUBLISH=true`` exits (code 70) right after a
COMMIT that created engine tasks, before publishing them. The client gets no answer; the
committed instance must still start, exactly once, because beat's sweep publishes tasks whose
message never came (DESIGN §1: outbox order).
"""

from __future__ import annotations

import time
import uuid

import pytest
import requests

from tests.e2e.conftest import wait_ready
from tests.faults import models
from tests.faults.cluster import Cluster, size
from tests.invariants import assert_consistent, instances_deviating

pytestmark = [pytest.mark.e2e, pytest.mark.faults]

REDISPATCH = 3


def test_an_api_killed_between_commit_and_publish_still_starts_the_instance_once(baton: Cluster):
    rounds = size(4, 40)
    settings = {"BATON_REDISPATCH_SECONDS": str(REDISPATCH)}
    api = baton.start_api(**settings)
    faulty = baton.start_api("api-fault", BATON_FAULT_CRASH_BEFORE_PUBLISH="true", **settings)
    baton.start_worker(concurrency=2, **settings)
    baton.start_beat(**settings)
    api.deploy(models.relay("relay", 1, 2), "relay")

    recoveries = []
    for _ in range(rounds):
        key = uuid.uuid4().hex
        sent = time.monotonic()
        with pytest.raises(requests.ConnectionError):
            faulty.session.post(
                f"{faulty.url}/process-instances",
                json={"bpmnProcessId": "relay", "workerId": "crash", "correlationKey": key},
                timeout=30,
            )
        found = api.call("POST", "/process-instances/query", {"correlationKey": key})["results"]
        assert len(found) == 1, found
        # Nothing but the sweep publishes its START (after REDISPATCH), so completing at all proves
        # the sweep did; the deadline only detects a hang (the figures are printed).
        api.wait_state(found[0], "COMPLETED", timeout=60)
        recoveries.append(time.monotonic() - sent)
        wait_ready(faulty.url, 30)  # gunicorn replaced its dead worker
    assert baton.processes["api-fault"].poll() is None, "the gunicorn master died with its worker"
    crashes = baton.logs().count("exited with code 70")
    with baton.engine.connect() as conn:
        assert instances_deviating(conn, "relay", models.relay_elements(1, 2)) == []
    starts = baton.rows("SELECT state, count(*) FROM task WHERE type = 'START_PROCESS_INSTANCE' GROUP BY state")
    assert dict(starts) == {"DONE": rounds}
    baton.wait_quiet()
    assert_consistent(baton.database_url)
    print(
        f"\nscenario 9: {rounds} API workers died between COMMIT and publish ({crashes} exits with code 70 logged); "
        f"every committed instance started once and completed {min(recoveries):.1f}-{max(recoveries):.1f}s after "
        f"the request (redispatch {REDISPATCH}s + sweep 1s)"
    )
