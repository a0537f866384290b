"""Partition upkeep: aged partitions whose instances all ended are detached and dropped."""

from __future__ import annotations

import threading
from datetime import timedelta

import sqlalchemy as sa

from engine.commands import partitions as upkeep
from engine.store import partitions, steps, tables
from tests.conftest import conformance_xml
from tests.waiting import wait_for


def tables_of(db, day):
    with db.engine.connect() as conn:
        return conn.execute(
            sa.text("SELECT count(*) FROM pg_class WHERE relname LIKE :pattern AND relkind = 'r'"),
            {"pattern": f"%\\_{day:%Y%m%d}"},
        ).scalar()


def attached(db, day):
    with db.engine.connect() as conn:
        return conn.execute(
            sa.text("SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE c.relname LIKE :p"),
            {"p": f"%\\_{day:%Y%m%d}"},
        ).scalar()


def test_an_aged_partition_is_detached_and_dropped_only_once_everything_in_it_ended(scenario, db):
    process = scenario.deploy(conformance_xml("task/service.bpmn"), "serviceTest")
    old = scenario.start(process)
    day = old.partition
    scenario.move_time("P100D")  # day is now older than the 90-day retention
    assert db.run(upkeep.schedule_upkeep, 3, 90) >= 1
    scenario.execute_due()
    assert attached(db, day) == len(tables.PARTITIONED_TABLES)  # the instance still runs: nothing detached
    old.complete_job()
    old.is_completed()
    db.run(upkeep.schedule_upkeep, 3, 90)
    scenario.execute_due()
    assert attached(db, day) == 0 and tables_of(db, day) == 0
    state = dict(db.run(lambda tx: partitions.existing(tx.conn)))[day]
    assert state == "DROPPED"
    # new work is unaffected
    scenario.start(process).is_waiting_at("serviceTask")


def test_an_interrupted_detach_is_finished_by_the_next_run(scenario, db):
    day = db.clock.now().date() - timedelta(days=200)
    db.run(lambda tx: partitions.create(tx.conn, day, tx.now))
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        partitions.detach(conn, tables.job, day)  # as if a detach ran for one table, then died
        conn.execute(sa.text("UPDATE engine_partition SET state = 'DETACHING' WHERE partition = :d"), {"d": day})
    db.run(upkeep.schedule_upkeep, 3, 90)
    scenario.execute_due()
    assert attached(db, day) == 0 and tables_of(db, day) == 0


def test_detaching_while_instances_run_in_other_partitions_loses_nothing(scenario, db):
    process = scenario.deploy(conformance_xml("task/service.bpmn"), "serviceTest")
    day = db.clock.now().date() - timedelta(days=120)
    db.run(lambda tx: partitions.create(tx.conn, day, tx.now))
    started = []
    stop = threading.Event()

    def work():
        while not stop.is_set():
            instance = scenario.start(process)
            instance.complete_job()
            started.append(instance)

    worker = threading.Thread(target=work)
    worker.start()
    try:
        wait_for(lambda: started, what="an instance completed")  # instances are running now
        db.run(upkeep.schedule_upkeep, 3, 90)
        scenario.execute_due(type="DETACH_PARTITION")
        scenario.execute_due(type="DROP_PARTITION")
    finally:
        stop.set()
        worker.join()
    assert tables_of(db, day) == 0
    assert started and all(i.get().state == "COMPLETED" for i in started)


def detach_tasks(db):
    with db.engine.connect() as conn:
        return conn.execute(
            sa.text(
                "SELECT partition, id, state, due_at, error, retry_count, serialized_task->>'partition' AS day "
                "FROM task WHERE type = 'DETACH_PARTITION' ORDER BY created_at, id"
            )
        ).all()


def advisory_locks(db):
    """Advisory locks any session of this database holds (none should outlive a DDL task)."""
    with db.engine.connect() as conn:
        return conn.execute(
            sa.text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            )
        ).scalar()


def autocommit(db):
    return db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")


def leave_detach_pending(db, table, day):
    """Start ``DETACH PARTITION … CONCURRENTLY`` and kill its session while it waits for an
    older transaction, as a crashed worker would: the partition stays "pending detach"."""
    name = partitions.partition_table(table, day)
    with db.engine.connect() as blocker, autocommit(db) as ddl:
        blocker.begin()
        blocker.execute(sa.text(f"SELECT count(*) FROM {table.name}"))  # noqa: S608
        pid = ddl.execute(sa.text("SELECT pg_backend_pid()")).scalar()
        failed = []

        def run():
            try:
                ddl.execute(sa.text(f"ALTER TABLE {table.name} DETACH PARTITION {name} CONCURRENTLY"))
            except sa.exc.DBAPIError as exc:
                failed.append(exc)

        thread = threading.Thread(target=run)
        thread.start()
        with db.engine.connect() as admin:
            wait_for(
                lambda: admin.execute(
                    sa.text("SELECT inhdetachpending FROM pg_inherits WHERE inhrelid = to_regclass(:n)"), {"n": name}
                ).scalar(),
                interval=0.05,
                what="the detach reaching its second phase",
            )
            admin.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        thread.join(10)
        blocker.rollback()
    assert failed, "the detach was not interrupted"


def test_a_detach_that_finds_another_one_running_is_put_back_not_left_locked(scenario, db):
    day = db.clock.now().date() - timedelta(days=200)
    db.run(lambda tx: partitions.create(tx.conn, day, tx.now))
    with autocommit(db) as other:
        assert partitions.lock_detach(other)  # another worker is detaching
        db.run(upkeep.schedule_upkeep, 3, 90)
        scenario.execute_due(type="DETACH_PARTITION")
        (task,) = detach_tasks(db)
        assert task.state == "CREATED" and task.due_at > db.clock.now()
        assert attached(db, day) == len(tables.PARTITIONED_TABLES)
        assert dict(db.run(lambda tx: partitions.existing(tx.conn)))[day] == "CREATED"
        partitions.unlock(other)
    scenario.move_time("PT1M")
    scenario.execute_due(type="DETACH_PARTITION")
    scenario.execute_due(type="DROP_PARTITION")
    assert tables_of(db, day) == 0
    assert [t.state for t in detach_tasks(db)] == ["DONE"]
    assert advisory_locks(db) == 0


def test_a_failed_detach_is_put_back_with_its_error_and_retried_later(scenario, db, monkeypatch):
    day = db.clock.now().date() - timedelta(days=200)
    db.run(lambda tx: partitions.create(tx.conn, day, tx.now))
    detach = partitions.detach

    def fail(conn, table, partition):
        if table is tables.task:
            raise RuntimeError("the disk is full")
        detach(conn, table, partition)

    monkeypatch.setattr(partitions, "detach", fail)
    db.run(upkeep.schedule_upkeep, 3, 90)
    scenario.execute_due(type="DETACH_PARTITION")
    (task,) = detach_tasks(db)
    assert (task.state, task.error, task.retry_count) == ("CREATED", "RuntimeError: the disk is full", 1)
    assert task.due_at >= db.clock.now() + upkeep.DDL_RETRY_DELAY - timedelta(seconds=5)
    assert dict(db.run(lambda tx: partitions.existing(tx.conn)))[day] == "DETACHING"
    assert advisory_locks(db) == 0
    monkeypatch.setattr(partitions, "detach", detach)
    scenario.move_time("PT1H")
    scenario.execute_due(type="DETACH_PARTITION")
    scenario.execute_due(type="DROP_PARTITION")
    assert tables_of(db, day) == 0


def test_upkeep_cancels_a_detach_whose_worker_is_gone_and_the_next_task_finishes_it(scenario, db):
    day, busy = db.clock.now().date() - timedelta(days=200), db.clock.now().date() - timedelta(days=150)
    db.run(lambda tx: partitions.create(tx.conn, day, tx.now))
    leave_detach_pending(db, tables.process_instance, day)
    with db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE engine_partition SET state = 'DETACHING' WHERE partition = :d"), {"d": day})

    def locked_tasks(tx):
        rows = [
            {
                "partition": tx.today,
                "type": "DETACH_PARTITION",
                "serialized_task": {"partition": d.isoformat()},
                "due_at": tx.now,
                "state": "LOCKED",
                "locked_at": tx.now,
                "locked_by": "a worker",
            }
            for d in (day, busy)
        ]
        steps.insert_tasks(tx, rows)

    db.run(locked_tasks)
    dead, alive = detach_tasks(db)
    with autocommit(db) as live_worker:
        assert partitions.lock_task(live_worker, alive.partition, alive.id)
        db.run(upkeep.schedule_upkeep, 3, 90)
        states = {(t.id, t.day): (t.state, t.error) for t in detach_tasks(db)}
        assert states[(dead.id, dead.day)] == ("CANCELED", "abandoned by its worker")
        assert states[(alive.id, alive.day)] == ("LOCKED", None)  # its worker still runs it
        assert sorted(state for (_, d), (state, _) in states.items() if d == day.isoformat()) == [
            "CANCELED",
            "CREATED",
        ]  # re-added by the same run
        scenario.execute_due(type="DETACH_PARTITION")
        scenario.execute_due(type="DROP_PARTITION")
        assert attached(db, day) == 0 and tables_of(db, day) == 0
        assert dict(db.run(lambda tx: partitions.existing(tx.conn)))[day] == "DROPPED"
        partitions.unlock(live_worker)
    assert advisory_locks(db) == 0


def test_a_detach_left_pending_for_another_day_is_finalized_first(scenario, db):
    gone, day = db.clock.now().date() - timedelta(days=200), db.clock.now().date() - timedelta(days=150)
    for d in (gone, day):
        db.run(lambda tx, d=d: partitions.create(tx.conn, d, tx.now))
    leave_detach_pending(db, tables.job, gone)
    with autocommit(db) as conn:
        assert partitions.lock_detach(conn)
        partitions.detach(conn, tables.job, day)  # PostgreSQL refuses it while another is pending
        partitions.unlock(conn)
    assert attached(db, gone) == attached(db, day) == len(tables.PARTITIONED_TABLES) - 1


def test_expired_messages_and_old_signals_are_purged(scenario, db):
    kept = scenario.send_message("m", "k", expires="PT10H")
    gone = scenario.send_message("m", "k")  # expired at once
    scenario.send_signal("s")
    scenario.move_time("P2D")
    db.run(upkeep.schedule_upkeep, 3, 90)
    scenario.execute_due(type="PURGE_MESSAGES")
    scenario.execute_due(type="PURGE_SIGNALS")
    with db.engine.connect() as conn:
        ids = {r.id for r in conn.execute(sa.text("SELECT id FROM message"))}
        signals = conn.execute(sa.text("SELECT count(*) FROM signal")).scalar()
    assert gone.id not in ids and kept.id not in ids and signals == 0
