"""How soon after its due time real beat fires a model timer.

Starts a fresh database on the PostgreSQL server of ``--database`` (default: ``BATON_DATABASE_URL``,
else the local one), the API under gunicorn, one Celery worker and beat, deploys
``start → 2 s timer catch event → end`` and starts ``--instances`` instances one every
``--spacing`` seconds, so that their timers fall due at different points of beat's 1 s sweep.
Prints, from the engine's own timestamps (the TRIGGER_EVENT task of each timer), the delay from
its due time to its run (the fired timer's transaction), p50/p99/max. The suite checks only that a timer
never fires early (tests/e2e/test_events_e2e.py); how late it fires is this figure.

    python bench/timer_latency.py --instances 50
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import requests
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from throughput import ROOT, create_database, drop_database, free_port, percentile

MODEL = """<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="bench">
  <process id="benchTimer" isExecutable="true">
    <startEvent id="start"/><sequenceFlow id="f1" sourceRef="start" targetRef="timer"/>
    <intermediateCatchEvent id="timer"><timerEventDefinition><timeDuration>PT2S</timeDuration>
    </timerEventDefinition></intermediateCatchEvent>
    <sequenceFlow id="f2" sourceRef="timer" targetRef="end"/><endEvent id="end"/>
  </process></definitions>"""


def wait_until(what: str, check, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit(f"{what}: not within {timeout:.0f} s")
        time.sleep(0.2)


def ready(url: str) -> bool:
    try:
        return requests.get(f"{url}/readiness", timeout=1).status_code == 200
    except requests.RequestException:
        return False


def run(args: argparse.Namespace) -> list[float]:
    """Run the instances; returns the milliseconds from due to fired of every timer."""
    from engine.commands.api_keys import create_api_key
    from engine.commands.partitions import ensure_ahead
    from engine.store import migrate
    from engine.store.db import open_database

    url_db = create_database(args.database)
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
    processes = [
        subprocess.Popen([*python, "api", "--bind", f"127.0.0.1:{port}", "--workers", "1"], env=env),
        subprocess.Popen([*python, "worker", "--concurrency", "2"], env=env),
        subprocess.Popen([*python, "beat", "--schedule", f"/tmp/bench-timer-beat-{port}"], env=env),
    ]
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until("the API answering /readiness", lambda: ready(url), 60)
        session = requests.Session()
        session.headers["Authorization"] = key
        session.post(
            f"{url}/processes",
            json={"bpmnProcessId": "benchTimer", "bpmnXml": MODEL, "version": "1", "workerId": "bench"},
            timeout=30,
        ).raise_for_status()
        for _ in range(args.instances):
            session.post(
                f"{url}/process-instances", json={"bpmnProcessId": "benchTimer", "workerId": "bench"}, timeout=30
            ).raise_for_status()
            time.sleep(args.spacing)  # spread the due times over the sweep period

        def completed() -> bool:
            with db.engine.connect() as conn:
                count = conn.execute(
                    sa.text("SELECT count(*) FROM process_instance WHERE state = 'COMPLETED'")
                ).scalar_one()
            return count >= args.instances

        wait_until("every instance completed", completed, 60 + 2 * args.instances * args.spacing)
        with db.engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT due_at, completed_at FROM task "
                    "WHERE type = 'TRIGGER_EVENT' AND bpmn_element_id = 'timer' AND completed_at IS NOT NULL"
                )
            ).all()
        return [(r.completed_at - r.due_at).total_seconds() * 1000 for r in rows]
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
        db.dispose()
        drop_database(args.database, url_db)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instances", type=int, default=50)
    parser.add_argument("--spacing", type=float, default=0.13, help="seconds between two starts")
    parser.add_argument(
        "--database", default=os.environ.get("BATON_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    )
    parser.add_argument("--broker", default=os.environ.get("BATON_BROKER_URL", "redis://127.0.0.1:6379/1"))
    args = parser.parse_args()
    delays = run(args)
    print(f"{len(delays)} timers of 2 s; beat sweeps every 1 s; {os.cpu_count()} CPUs")
    print(
        f"fired after due: p50 {percentile(delays, 0.5):.0f} ms, p99 {percentile(delays, 0.99):.0f} ms, "
        f"max {max(delays):.0f} ms"
    )
    early = [delay for delay in delays if delay < 0]
    if early:
        print(f"{len(early)} timers fired BEFORE they were due")


if __name__ == "__main__":
    main()
