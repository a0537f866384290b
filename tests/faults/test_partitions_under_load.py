"""Scenario 14: partition upkeep (detach concurrently, drop) while instances are created and
completed, and a detach whose worker is killed halfway.

Old days are filled through the engine with a clock set back 120 days (their instances all
ended), so that upkeep finds them past the 90-day retention. The load runs through the real API
and workers the whole time.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import psutil
import pytest
import sqlalchemy as sa

from engine.commands import partitions as upkeep
from engine.commands.process_instances import CreateProcessInstance, create_process_instance
from engine.errors import EngineError
from engine.store import partitions
from engine.store.db import Clock, open_database
from tests.faults import models
from tests.faults.cluster import Cluster, size
from tests.faults.load import Load
from tests.invariants import assert_consistent, instances_deviating

pytestmark = [pytest.mark.e2e, pytest.mark.faults]


def fill_old_day(baton: Cluster, api, policy, days_back: int, count: int):
    """``count`` instances created in the partition of ``days_back`` days ago (through the engine,
    with a clock set back), run by the real workers and completed over REST."""
    from datetime import UTC, datetime

    day = (datetime.now(UTC) - timedelta(days=days_back)).date()
    partitions.forget(day)  # this test process may have known that day in another database
    db = open_database(baton.database_url, pool_size=2)
    db.clock = Clock(db.engine, ttl=1e9)
    db.clock.moved(timedelta(days=-days_back))

    def ensured() -> bool:
        # Creating a past day's partitions under load may deadlock with the load (PostgreSQL
        # picks the DDL as the victim); upkeep creates days ahead, so this only happens here.
        try:
            db.run(lambda tx: partitions.ensure(tx.conn, day, tx.now))
        except EngineError:
            return False
        return True

    try:
        baton.wait_until(f"the partitions of {day} created", ensured, timeout=30)
        for _ in range(count):
            created = db.run(create_process_instance, CreateProcessInstance("service", "old"), policy)
            assert created.partition == day
    finally:
        db.dispose()

    def completed() -> bool:
        for job in api.call("POST", "/jobs/lock", {"workerId": "old", "limit": 100, "partition": day.isoformat()})[
            "jobs"
        ]:
            api.call("PATCH", f"/jobs/{job['partition']}/{job['id']}/complete", {"workerId": "old"})
        return (
            baton.scalar("SELECT count(*) FROM process_instance WHERE partition = :d AND state = 'COMPLETED'", d=day)
            == count
        )

    baton.wait_until(f"the instances of {day} completed", completed, timeout=60, every=0.3)
    return day


def day_state(baton: Cluster, day) -> str | None:
    return baton.scalar("SELECT state FROM engine_partition WHERE partition = :d", d=day)


def attached(baton: Cluster, day) -> int:
    return baton.scalar(
        "SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE c.relname LIKE :p",
        p=f"%\\_{day:%Y%m%d}",
    )


def hold_partitioned_tables(conn: sa.Connection) -> None:
    """Read every big partitioned table in an open transaction (as a long report would)."""
    for table in ("process_instance", "element_instance", "job", "task"):
        conn.execute(sa.text(f"SELECT count(*) FROM {table}"))  # noqa: S608


def detach_waiting(baton: Cluster) -> sa.Row | None:
    """(backend pid, application_name) of a running ``DETACH PARTITION``, if any."""
    rows = baton.rows(
        "SELECT pid, application_name FROM pg_stat_activity WHERE datname = current_database() "
        "AND query LIKE 'ALTER TABLE % DETACH PARTITION %' AND state = 'active'"
    )
    return rows[0] if rows else None


def detach_put_back(baton: Cluster) -> bool:
    """Whether a DETACH task met another one running and was put back (due later, F11)."""
    return bool(
        baton.scalar(
            "SELECT count(*) FROM task WHERE type = 'DETACH_PARTITION' AND state = 'CREATED' AND due_at > now()"
        )
    )


@contextmanager
def load_running(baton: Cluster, api) -> Iterator[Load]:
    """Instances created and their jobs completed over REST while the block runs; afterwards every
    one of them must complete, with all its rows, and no request may have failed."""
    load = Load(api, "service", rate=10, threads=4, retry_503=False)

    def complete_jobs() -> None:
        status, body = load.request("lock", "POST", "/jobs/lock", {"workerId": "w", "limit": 10, "timeout": 200})
        for job in body["jobs"] if status == 200 else []:
            load.request("complete", "PATCH", f"/jobs/{job['partition']}/{job['id']}/complete", {"workerId": "w"})

    load.start()
    load.start(complete_jobs)
    try:
        yield load
    finally:
        load.stop()
    keys = {(i["partition"], i["id"]) for i in load.created}

    def drain() -> bool:
        for job in api.call("POST", "/jobs/lock", {"workerId": "w", "limit": 100})["jobs"]:
            api.call("PATCH", f"/jobs/{job['partition']}/{job['id']}/complete", {"workerId": "w"})
        done = baton.rows("SELECT partition::text, id FROM process_instance WHERE state = 'COMPLETED'")
        return keys <= {(str(p), i) for p, i in done}

    baton.wait_until("every instance of the load completed", drain, timeout=60, every=0.5)
    with baton.engine.connect() as conn:
        assert instances_deviating(conn, "service", {"start": 1, "task": 1, "end": 1}) == []
    assert set(load.statuses()) <= {200, 201}, f"the load saw errors: {load.statuses()}"


def start(baton: Cluster):
    api = baton.start_api(threads=32)
    baton.start_worker(concurrency=2)
    baton.start_beat()
    baton.wait_worker_ready()
    api.deploy(models.service("service"), "service")
    return api


def test_old_days_are_detached_and_dropped_under_load_without_losing_a_row(baton: Cluster, policy):
    """One old day, then two old days that pass their retention in the same upkeep run."""
    old = size(10, 200)
    api = start(baton)
    first = fill_old_day(baton, api, policy, 130, old)
    upkeep_db = open_database(baton.database_url, pool_size=1)  # no publisher: beat's sweep publishes
    try:
        with load_running(baton, api) as load:
            started = time.monotonic()
            upkeep_db.run(upkeep.schedule_upkeep, 3, 90)
            baton.wait_until("the old day dropped", lambda: day_state(baton, first) == "DROPPED", timeout=60)
            one = time.monotonic() - started
            assert attached(baton, first) == 0
            second, third = fill_old_day(baton, api, policy, 120, old), fill_old_day(baton, api, policy, 110, old)
            started = time.monotonic()
            with baton.engine.connect() as reader:  # a long report: detaches wait for it to end
                reader.begin()
                hold_partitioned_tables(reader)
                upkeep_db.run(upkeep.schedule_upkeep, 3, 90)
                baton.wait_until("a detach waiting for the report", lambda: detach_waiting(baton) is not None, 30)
                baton.wait_until("the second detach meeting the first", lambda: detach_put_back(baton), 30)
                reader.rollback()
            both = True
            try:
                baton.wait_until(
                    "both old days dropped",
                    lambda: day_state(baton, second) == day_state(baton, third) == "DROPPED",
                    timeout=30,
                )
            except AssertionError:
                both = False
            two = time.monotonic() - started
    finally:
        upkeep_db.dispose()
    baton.wait_quiet()
    tasks = [
        tuple(t)
        for t in baton.rows("SELECT state, serialized_task->>'partition' FROM task WHERE type = 'DETACH_PARTITION'")
    ]
    errors = [line for line in baton.log_lines("worker") if "pending detach" in line and "psycopg2.errors" in line]
    print(
        f"\nscenario 14: under load ({len(load.created)} instances, answers {dict(load.statuses())}): a day of {old} "
        f"ended instances detached and dropped in {one:.1f}s; two days at once: dropped {both} after {two:.1f}s "
        f"(days {day_state(baton, second)}/{day_state(baton, third)}, DETACH tasks {tasks}); {errors[:1]}"
    )
    assert both, (
        f"two days detached in the same run: {second} is {day_state(baton, second)} ({attached(baton, second)} "
        f"tables attached), {third} is {day_state(baton, third)} ({attached(baton, third)} attached); "
        f"DETACH tasks {tasks}; {errors[:1]}"
    )
    assert_consistent(baton.database_url)


def test_a_detach_interrupted_by_kill_9_is_finished_by_the_next_upkeep_run(baton: Cluster, policy):
    """The worker running DETACH PARTITION CONCURRENTLY is killed while it waits for an older
    snapshot (its connection reset, as for a crashed node); the next upkeep run must finish it."""
    old = size(10, 200)
    api = start(baton)
    day = fill_old_day(baton, api, policy, 120, old)
    upkeep_db = open_database(baton.database_url, pool_size=1)
    finished = True
    try:
        with load_running(baton, api) as load:
            with baton.engine.connect() as blocker:
                blocker.begin()
                hold_partitioned_tables(blocker)  # the detach's second phase waits for us
                upkeep_db.run(upkeep.schedule_upkeep, 3, 90)
                baton.wait_until("a detach waiting for the old snapshot", lambda: detach_waiting(baton) is not None, 30)
                ddl = detach_waiting(baton)
                # Baton names its connections <engine id>-<pid> (engine.store.db.application_name),
                # over TCP and over a Unix socket alike.
                victims = [c for c in baton.pool_children() if ddl.application_name.endswith(f"-{c.pid}")]
                assert len(victims) == 1, (
                    f"could not find the worker process running the detach: backend {ddl.pid} of "
                    f"{ddl.application_name!r}, pool processes {[c.pid for c in baton.pool_children()]}"
                )
                victims[0].kill()
                psutil.wait_procs(victims, timeout=10)
                # The crashed node's connection, and with it its advisory locks: wait (up to 10 s)
                # until the backend has ended, since pg_terminate_backend only signals it.
                assert baton.scalar("SELECT pg_terminate_backend(:pid, 10000)", pid=ddl.pid)
                blocker.rollback()
            interrupted = (day_state(baton, day), attached(baton, day))
            # acks_late: the killed task's message goes back to the queue and is taken again
            # (it finds its task LOCKED and does nothing); the next run comes after that.
            baton.wait_until("the killed task's message delivered again", lambda: baton.redelivered() >= 1, 30)
            upkeep_db.run(upkeep.schedule_upkeep, 3, 90)  # the next run
            try:
                baton.wait_until("the interrupted detach finished", lambda: day_state(baton, day) == "DROPPED", 30)
            except AssertionError:
                finished = False
    finally:
        upkeep_db.dispose()
    baton.wait_quiet()
    tasks = [tuple(t) for t in baton.rows("SELECT state, locked_at FROM task WHERE type = 'DETACH_PARTITION'")]
    print(
        f"\nscenario 14: under load ({len(load.created)} instances, answers {dict(load.statuses())}): a detach killed "
        f"halfway left the day {interrupted[0]} with {interrupted[1]} tables attached; the next upkeep run finished "
        f"it: {finished} (DETACH tasks {tasks})"
    )
    assert finished, (
        f"the interrupted detach of {day} was not finished by the next upkeep run: the day is "
        f"{day_state(baton, day)} with {attached(baton, day)} tables attached; DETACH tasks {tasks}"
    )
    assert_consistent(baton.database_url)
