"""Partition upkeep: aged partitions whose instances all ended are detached and dropped."""

from __future__ import annotations

import threading
from datetime import timedelta

import sqlalchemy as sa

from engine.commands import partitions as upkeep
from engine.store import partitions, tables
from tests.conftest import conformance_xml


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
        db.run(upkeep.schedule_upkeep, 3, 90)
        scenario.execute_due(type="DETACH_PARTITION")
        scenario.execute_due(type="DROP_PARTITION")
    finally:
        stop.set()
        worker.join()
    assert tables_of(db, day) == 0
    assert started and all(i.get().state == "COMPLETED" for i in started)


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
