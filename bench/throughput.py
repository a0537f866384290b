"""Throughput of the whole system: start → one service task → end, over HTTP and Celery.

Starts a fresh database on the PostgreSQL server of ``BATON_DATABASE_URL`` (default: the local
one), the API under gunicorn, Celery workers and beat, then for each worker count: starts N
instances over HTTP while job workers (separate processes) lock jobs in batches and complete
them over REST. Prints completed instances per second, the latency from instance start to job
lockable and from job completion to instance end (p50/p99), and the peak memory of the API and
worker processes.

    python bench/throughput.py --instances 2000 --celery 1 2 4
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime
from pathlib import Path

import psutil
import requests
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
             xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="bench">
  <process id="benchService" isExecutable="true">
    <startEvent id="start" />
    <sequenceFlow id="f1" sourceRef="start" targetRef="work" />
    <serviceTask id="work">
      <extensionElements><zeebe:taskDefinition type="work" /></extensionElements>
    </serviceTask>
    <sequenceFlow id="f2" sourceRef="work" targetRef="end" />
    <endEvent id="end" />
  </process>
</definitions>
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def job_worker(url: str, key: str, stop_at: float, done_counter, batch: int) -> None:
    """A job worker process: lock in batches (long poll), complete each job."""
    session = requests.Session()
    session.headers["Authorization"] = key
    name = f"bench-{os.getpid()}"
    while time.time() < stop_at:
        response = session.post(
            f"{url}/jobs/lock", json={"workerId": name, "limit": batch, "types": ["work"], "timeout": 1000}, timeout=30
        )
        jobs = response.json()["jobs"]
        for job in jobs:
            session.patch(
                f"{url}/jobs/{job['partition']}/{job['id']}/complete", json={"workerId": name}, timeout=30
            ).raise_for_status()
        if jobs:
            with done_counter.get_lock():
                done_counter.value += len(jobs)


def starter(url: str, key: str, count: int, threads: int) -> list[float]:
    """Start ``count`` instances over HTTP from several threads; returns per-request seconds."""
    durations: list[float] = []
    lock = threading.Lock()
    remaining = [count]

    def run() -> None:
        session = requests.Session()
        session.headers["Authorization"] = key
        while True:
            with lock:
                if remaining[0] == 0:
                    return
                remaining[0] -= 1
            began = time.perf_counter()
            session.post(
                f"{url}/process-instances", json={"bpmnProcessId": "benchService", "workerId": "bench"}, timeout=30
            ).raise_for_status()
            with lock:
                durations.append(time.perf_counter() - began)

    pool = [threading.Thread(target=run) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return durations


class Memory:
    """Samples the resident memory of process trees."""

    def __init__(self, processes: dict[str, subprocess.Popen[bytes]]) -> None:
        self.processes = processes
        self.peak = dict.fromkeys(processes, 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            for name, process in self.processes.items():
                try:
                    root = psutil.Process(process.pid)
                    rss = sum(p.memory_info().rss for p in [root, *root.children(recursive=True)])
                except psutil.Error:
                    continue
                self.peak[name] = max(self.peak[name], rss)

    def stop(self) -> dict[str, int]:
        self._stop.set()
        self._thread.join()
        return self.peak


def create_database(server_url: str) -> str:
    from engine.store.db import normalize_url

    name = f"baton_bench_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(normalize_url(server_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return sa.engine.make_url(normalize_url(server_url)).set(database=name).render_as_string(hide_password=False)


def drop_database(server_url: str, url: str) -> None:
    from engine.store.db import normalize_url

    name = sa.engine.make_url(url).database
    engine = sa.create_engine(normalize_url(server_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def run_round(args: argparse.Namespace, server_url: str, celery_procs: int) -> dict[str, float]:
    from engine.commands.api_keys import create_api_key
    from engine.commands.partitions import ensure_ahead
    from engine.store import migrate
    from engine.store.db import open_database

    url_db = create_database(server_url)
    migrate.upgrade(url_db)
    db = open_database(url_db, pool_size=1)
    key = db.run(create_api_key, "bench")
    db.run(ensure_ahead, 2)
    port = free_port()
    env = {
        **os.environ,
        "BATON_DATABASE_URL": url_db,
        "BATON_BROKER_URL": args.broker,
        "BATON_QUEUE": f"bench-{uuid.uuid4().hex[:6]}",
        "PYTHONPATH": str(ROOT),
    }
    python = [sys.executable, "-m", "cli.main"]
    processes = {
        "api": subprocess.Popen(
            [
                *python,
                "api",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(args.api_workers),
                "--threads",
                "16",
            ],
            env=env,
        ),
        "worker": subprocess.Popen([*python, "worker", "--concurrency", str(celery_procs)], env=env),
        "beat": subprocess.Popen([*python, "beat", "--schedule", f"/tmp/bench-beat-{port}"], env=env),
    }
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if requests.get(f"{url}/readiness", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.2)
        session = requests.Session()
        session.headers["Authorization"] = key
        session.post(
            f"{url}/processes",
            json={"bpmnProcessId": "benchService", "bpmnXml": MODEL, "version": "1", "workerId": "bench"},
        ).raise_for_status()
        memory = Memory({"api": processes["api"], "worker": processes["worker"]})
        done = multiprocessing.Value("l", 0)
        stop_at = time.time() + args.timeout
        workers = [
            multiprocessing.Process(target=job_worker, args=(url, key, stop_at, done, args.batch))
            for _ in range(args.job_workers)
        ]
        for worker in workers:
            worker.start()
        began = time.time()
        start_latencies = starter(url, key, args.instances, args.start_threads)
        started_in = time.time() - began
        completed = 0
        while time.time() < stop_at:
            with db.engine.connect() as conn:
                completed = conn.execute(
                    sa.text("SELECT count(*) FROM process_instance WHERE state = 'COMPLETED'")
                ).scalar_one()
            if completed >= args.instances:
                break
            time.sleep(0.25)
        elapsed = time.time() - began
        for worker in workers:
            worker.terminate()
            worker.join()
        peak = memory.stop()
        with db.engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT pi.created_at AS pc, pi.ended_at AS pe, j.created_at AS jc, j.completed_at AS jd "
                    "FROM process_instance pi JOIN job j ON j.partition = pi.partition "
                    "AND j.process_instance_id = pi.id WHERE pi.state = 'COMPLETED'"
                )
            ).all()
        to_lockable = [(r.jc - r.pc).total_seconds() * 1000 for r in rows]
        to_end = [(r.pe - r.jd).total_seconds() * 1000 for r in rows]
        return {
            "celery": celery_procs,
            "completed": completed,
            "seconds": elapsed,
            "rate": completed / elapsed if elapsed else 0.0,
            "start_rate": args.instances / started_in,
            "start_p50": statistics.median(start_latencies) * 1000,
            "lockable_p50": percentile(to_lockable, 0.5),
            "lockable_p99": percentile(to_lockable, 0.99),
            "end_p50": percentile(to_end, 0.5),
            "end_p99": percentile(to_end, 0.99),
            "api_mb": peak["api"] / 2**20,
            "worker_mb": peak["worker"] / 2**20,
        }
    finally:
        for process in processes.values():
            process.send_signal(signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
        db.dispose()
        drop_database(server_url, url_db)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instances", type=int, default=2000)
    parser.add_argument("--celery", type=int, nargs="+", default=[1, 2, 4], help="Celery worker process counts")
    parser.add_argument("--api-workers", type=int, default=2)
    parser.add_argument("--job-workers", type=int, default=2, help="job worker processes")
    parser.add_argument("--batch", type=int, default=50, help="jobs locked per request")
    parser.add_argument("--start-threads", type=int, default=8)
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument(
        "--database", default=os.environ.get("BATON_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    )
    parser.add_argument("--broker", default=os.environ.get("BATON_BROKER_URL", "redis://127.0.0.1:6379/1"))
    args = parser.parse_args()
    print(
        f"{args.instances} instances of start → service task → end; {args.job_workers} job worker processes "
        f"locking {args.batch} per request; {args.api_workers} API processes; {os.cpu_count()} CPUs"
    )
    header = (
        f"{'celery':>6} {'done':>6} {'secs':>6} {'inst/s':>7} {'start/s':>8} {'start p50':>9} "
        f"{'lockable p50/p99 ms':>20} {'end p50/p99 ms':>16} {'api MB':>7} {'worker MB':>9}"
    )
    print(header)
    for procs in args.celery:
        r = run_round(args, args.database, procs)
        print(
            f"{r['celery']:>6} {r['completed']:>6} {r['seconds']:>6.1f} {r['rate']:>7.1f} {r['start_rate']:>8.1f} "
            f"{r['start_p50']:>8.1f}ms {r['lockable_p50']:>9.1f}/{r['lockable_p99']:<9.1f} "
            f"{r['end_p50']:>7.1f}/{r['end_p99']:<8.1f} {r['api_mb']:>7.0f} {r['worker_mb']:>9.0f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
