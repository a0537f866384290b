"""CPU cost of the hot operations, in one process: create, start, lock, complete — through the
engine directly and through the Flask app (no network). Prints milliseconds per operation.

    python bench/profile_steps.py [--n 500] [--database URL] [--profile create|start|lock|complete|http]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.throughput import MODEL
from engine.commands import jobs as job_commands
from engine.commands import process_instances as pi_commands
from engine.commands.engine_tasks.executor import TaskContext
from engine.commands.engine_tasks.sweep import run_task
from engine.commands.partitions import ensure_ahead
from engine.commands.processes import CreateProcess, create_process
from engine.store import migrate
from engine.store.db import normalize_url, open_database
from engine.variables import Keyring, Policy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--database", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--profile", choices=["create", "start", "lock", "complete", "http"], default=None)
    args = parser.parse_args()
    name = f"baton_profile_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(normalize_url(args.database), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(normalize_url(args.database)).set(database=name).render_as_string(hide_password=False)
    try:
        run(url, args)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def run(url: str, args: argparse.Namespace) -> None:
    migrate.upgrade(url)
    db = open_database(url, pool_size=4)
    db.run(ensure_ahead, 2)
    policy = Policy(Keyring.parse(""))
    db.run(create_process, CreateProcess("benchService", MODEL, "1", "w"), max_bpmn_bytes=10**7)
    context = TaskContext(policy=policy, engine_id="bench")
    n = args.n
    profiler = cProfile.Profile()

    def timed(label: str, action, count: int) -> None:
        if args.profile == label:
            profiler.enable()
        began = time.perf_counter()
        action()
        elapsed = time.perf_counter() - began
        if args.profile == label:
            profiler.disable()
        print(f"{label:>9}: {elapsed / count * 1000:6.2f} ms each ({count / elapsed:7.1f}/s)")

    created = []
    timed(
        "create",
        lambda: created.extend(
            db.run(
                pi_commands.create_process_instance,
                pi_commands.CreateProcessInstance(bpmn_process_id="benchService", worker_id="w"),
                policy,
            )
            for _ in range(n)
        ),
        n,
    )
    with db.engine.connect() as conn:
        tasks = conn.execute(sa.text("SELECT partition, id, type FROM task WHERE state = 'CREATED'")).all()
    timed(
        "start",
        lambda: [run_task(db, p, i, context, retry_limit=3, retry_seconds=1, type=t) for p, i, t in tasks],
        len(tasks),
    )
    locked = []
    timed(
        "lock",
        lambda: locked.extend(
            db.run(job_commands.lock_jobs, job_commands.LockJobs(worker_id="w", limit=100), default_lock_seconds=60)
            for _ in range(n // 100)
        ),
        max(n // 100, 1),
    )
    jobs = [job for batch in locked for job in batch]
    timed(
        "complete",
        lambda: [
            db.run(job_commands.complete_job, j.partition, j.id, job_commands.CompleteJob(worker_id="w"), policy)
            for j in jobs
        ],
        len(jobs),
    )

    from api.app import create_app
    from engine.settings import Settings

    app = create_app(Settings(database_url=url, auth_enabled=False), db=db)
    client = app.test_client()
    body = {"bpmnProcessId": "benchService", "workerId": "w"}
    timed("http", lambda: [client.post("/process-instances", json=body) for _ in range(n)], n)
    app.extensions["baton"].wakeups.stop()
    if args.profile:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    db.dispose()


if __name__ == "__main__":
    main()
