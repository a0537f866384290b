"""Deploy examples/order.bpmn, start N orders, and work them off with one JobWorker.

    baton up &                                    # in another terminal
    python examples/order_worker.py --instances 1000

The worker handles the two job types of the model, ``reserve`` and ``charge``; orders over 100
are charged by card, the others invoiced (a plain task). The script exits 0 once all N instances
of this run are COMPLETED, printing the elapsed time and the rate, and 1 on timeout or error.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import random
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

try:
    from client import BatonClient, BatonError, Job, JobWorker
except ImportError:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from client import BatonClient, BatonError, Job, JobWorker

MODEL = Path(__file__).resolve().parent / "order.bpmn"
PAGE = 1000


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=100, help="orders to start (default 100)")
    parser.add_argument("--url", default=None, help="API URL (default: $BATON_URL or http://127.0.0.1:8080)")
    parser.add_argument("--api-key", default=None, help="API key (default: $BATON_API_KEY or ~/.baton/api-key)")
    parser.add_argument("--concurrency", type=int, default=8, help="handler threads of the worker (default 8)")
    parser.add_argument("--starters", type=int, default=8, help="threads starting instances (default 8)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait for completion (default 600)")
    return parser.parse_args(argv)


def make_worker(client: BatonClient, concurrency: int) -> JobWorker:
    """The job worker of the order process: one handler per job type."""
    worker = JobWorker(client, concurrency=concurrency, lock_duration_ms=60_000, poll_timeout_ms=5_000)

    @worker.job("reserve")
    def reserve(job: Job) -> dict[str, Any]:
        return {"reserved": True}

    @worker.job("charge")
    def charge(job: Job) -> dict[str, Any]:
        total = job.variables(["total"])["total"]
        return {"chargeId": f"ch-{job.partition}-{job.process_instance_id}", "charged": total}

    return worker


def count_completed(client: BatonClient, run: str) -> int:
    """Instances of this run (by tag) that are COMPLETED."""
    total, offset = 0, 0
    while True:
        page = client.process_instances.query(
            bpmn_process_id="order", states=["COMPLETED"], tags={"run": run}, offset=offset, limit=PAGE
        )
        total += len(page)
        if len(page) < PAGE:
            return total
        offset += PAGE


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    client = BatonClient(args.url, args.api_key)
    run = uuid.uuid4().hex[:12]
    xml = MODEL.read_text(encoding="utf-8")
    version = hashlib.sha256(xml.encode("utf-8")).hexdigest()[:12]
    worker = make_worker(client, args.concurrency)
    try:
        process = client.processes.deploy(xml, "order", version)
        print(f"deployed order version {process.version}; run {run}: {args.instances} instances at {client.url}")
        worker.start()
        began = time.monotonic()

        def start_one(number: int) -> None:
            client.process_instances.start(
                "order",
                version=version,
                variables={"orderId": number, "total": random.randint(10, 300)},
                tags={"run": run},
            )

        with ThreadPoolExecutor(max_workers=max(1, args.starters)) as pool:
            list(pool.map(start_one, range(args.instances)))
        started = time.monotonic() - began
        print(f"started {args.instances} instances in {started:.2f} s ({args.instances / max(started, 1e-9):.1f}/s)")
        deadline = began + args.timeout
        done = 0
        while time.monotonic() < deadline:
            done = count_completed(client, run)
            if done >= args.instances:
                break
            time.sleep(0.25)
        elapsed = time.monotonic() - began
    except BatonError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        worker.stop(grace_period=10)
        client.close()
    if done < args.instances:
        print(f"timeout: {done} of {args.instances} instances completed after {elapsed:.1f} s", file=sys.stderr)
        return 1
    print(
        f"{args.instances} instances completed in {elapsed:.2f} s ({args.instances / elapsed:.1f} instances/s); "
        f"worker: {worker.completed} jobs completed, {worker.failed} failed"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
