"""Connections and transactions.

Every command runs in one transaction (:meth:`Database.transaction`). The transaction knows the
engine time (wall clock + the offset that ``PATCH /time`` moves), collects the engine tasks and
jobs it created, and after COMMIT hands the new tasks to the registered publishers (the API and
the workers register the Celery publisher; the engine itself knows nothing of Celery).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from engine.errors import EngineError, ErrorKind

log = logging.getLogger(__name__)

T = TypeVar("T")

# Channel of the NOTIFY sent by a transaction that made jobs lockable; long-polling lock
# requests wait on it.
JOBS_CHANNEL = "baton_jobs"

_RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization failure, deadlock detected
_MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class TaskRef:
    """An engine task to publish after commit."""

    partition: date
    id: int
    type: str
    due_at: datetime


@dataclass
class Tx:
    """One open transaction: its connection, the engine time, and what it created."""

    conn: sa.Connection
    now: datetime
    worker_id: str
    new_tasks: list[TaskRef] = field(default_factory=list)
    # Set when jobs became lockable other than by insertion (inserts notify through a trigger).
    jobs_created: bool = False
    # A new engine time offset committed by this transaction (PATCH /time).
    time_offset: timedelta | None = None
    # The engine task or job this transaction finishes (its own work must not be canceled under it).
    running_task: tuple[date, int] | None = None
    running_job: tuple[date, int] | None = None
    # Writes to send with the next flush of a step (one round trip), and a guarded update whose
    # matched row count comes back in ``guard_result``.
    deferred: list[Any] = field(default_factory=list)
    guard: Any = None
    guard_result: int | None = None
    # Prefetched id blocks already handed to a step (``steps.begin``), by (partition, first id).
    claimed_ids: set[tuple[date, int]] = field(default_factory=set)
    # What happened, for observers after commit (metrics): (fact, labels, value).
    facts: list[tuple[str, dict[str, str], float]] = field(default_factory=list)

    def fact(self, name: str, value: float = 1.0, **labels: str) -> None:
        """Record something observers learn once the transaction commits."""
        self.facts.append((name, labels, value))

    @property
    def today(self) -> date:
        """The engine date: the partition of instances created now."""
        return self.now.date()


Publisher = Callable[[Sequence[TaskRef]], None]
Observer = Callable[[Sequence[tuple[str, dict[str, str], float]]], None]


def normalize_url(url: str) -> str:
    """Accept ``postgres://``, ``postgresql://`` and driver-qualified URLs; use psycopg2."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg2")
    return parsed.render_as_string(hide_password=False)


def application_name(engine_id: str) -> str:
    """The PostgreSQL ``application_name`` of this process's connections: ``<engine id>-<pid>``.

    In ``pg_stat_activity`` it tells which process holds a backend (e.g. ``baton-engine-4711``:
    a gunicorn worker, a Celery pool child). It is set when a connection is opened, so a forked
    pool child names its own pid, and it is a startup parameter: statements cost nothing extra.
    PostgreSQL keeps 63 bytes; a long engine id is shortened, never the pid.
    """
    suffix = f"-{os.getpid()}"
    return engine_id[: 63 - len(suffix)] + suffix


def create_engine(url: str, *, pool_size: int = 10, engine_id: str = "baton-engine") -> sa.Engine:
    """The PostgreSQL connection pool of this process; its connections are named by
    :func:`application_name`."""
    engine = sa.create_engine(
        normalize_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_timeout=10,
        pool_recycle=1800,
        # No pool_pre_ping: it costs a round trip per checkout (5-7% of a worker's time). A
        # connection killed by pg_terminate_backend, a restart or a failover fails the one
        # statement that uses it; SQLAlchemy then discards the whole pool, `run` retries
        # commands, and a read answers 503 once (clients retry).
        executemany_mode="values_plus_batch",
        connect_args={"options": "-c timezone=UTC"},
    )

    def name_connection(dialect: Any, record: Any, cargs: Any, cparams: dict[str, Any]) -> None:
        cparams["application_name"] = application_name(engine_id)

    sa.event.listen(engine, "do_connect", name_connection)
    return engine


class Database:
    """The PostgreSQL connection pool of one process, its engine time, and its after-commit publishers.

    The pool (:func:`create_engine`) and the :class:`Clock` are passed in: the composition root
    (:mod:`workers.wiring`) builds them for the API, the workers and the CLI; tests and benchmarks
    use :func:`open_database`.
    """

    def __init__(self, url: str, *, engine: sa.Engine, clock: Clock, engine_id: str = "baton-engine") -> None:
        self.url = normalize_url(url)
        self.engine_id = engine_id
        self.engine = engine
        # Settable: a test may give the database a clock of its own (e.g. one that never re-reads).
        self.clock = clock
        self._publishers: list[Publisher] = []
        self._observers: list[Observer] = []
        # Fault injection for tests (BATON_FAULT_CRASH_BEFORE_PUBLISH): die right after a COMMIT
        # that created engine tasks, before publishing them, as a killed process would.
        self.crash_before_publish = False

    def add_publisher(self, publisher: Publisher) -> None:
        """Call ``publisher`` with the new engine tasks of every committed transaction."""
        self._publishers.append(publisher)

    def add_observer(self, observer: Observer) -> None:
        """Call ``observer`` with the facts of every committed transaction (metrics), once."""
        if observer not in self._observers:
            self._observers.append(observer)

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    @contextmanager
    def transaction(self, worker_id: str | None = None) -> Iterator[Tx]:
        """Open a transaction; commit on success, roll back on any exception.

        After the commit, new engine tasks are published. A publish failure is logged and
        swallowed: the beat sweep publishes what was lost (DESIGN §1).
        """
        now = self.clock.now()
        with self.engine.begin() as conn:
            tx = Tx(conn=conn, now=now, worker_id=worker_id or self.engine_id)
            yield tx
            for write in tx.deferred:  # writes no step flush took along
                write.run(conn)
            if tx.jobs_created:
                conn.execute(sa.text(f"NOTIFY {JOBS_CHANNEL}"))
        if tx.time_offset is not None:
            self.clock.moved(tx.time_offset)
        if tx.new_tasks and self.crash_before_publish:
            os._exit(70)
        if tx.new_tasks:
            self.publish(tx.new_tasks)
        if tx.facts:
            for observer in self._observers:
                try:
                    observer(tx.facts)
                except Exception:  # observing must never break a command
                    log.warning("an observer failed", exc_info=True)

    def publish(self, tasks: Sequence[TaskRef]) -> None:
        """Hand engine tasks to the publishers; never raises."""
        for publisher in self._publishers:
            try:
                publisher(tasks)
            except Exception:  # a lost wake-up is recovered by the sweep
                log.warning("publishing %d engine task(s) failed; the sweep will retry", len(tasks), exc_info=True)

    def run(self, command: Callable[..., T], *args: object, worker_id: str | None = None, **kwargs: object) -> T:
        """Run ``command(tx, *args, **kwargs)`` in a transaction, retrying deadlocks.

        A lost connection, or a conflict still there after the retries, becomes an
        ``UNAVAILABLE`` engine error (HTTP 503: retry later).
        """
        for attempt in range(1, _MAX_ATTEMPTS + 1):
            try:
                with self.transaction(worker_id) as tx:
                    return command(tx, *args, **kwargs)
            except sa.exc.DBAPIError as exc:
                if attempt == _MAX_ATTEMPTS or not _is_retryable(exc):
                    if _sqlstate(exc) in _RETRYABLE_SQLSTATES:
                        raise EngineError(
                            ErrorKind.UNAVAILABLE,
                            "database busy",
                            f"the command met concurrent changes {attempt} times in a row; retry",
                        ) from exc
                    if _is_connection_error(exc):
                        raise unavailable() from exc
                    raise
                time.sleep(0.005 * attempt * attempt)
        raise AssertionError("unreachable")

    def ping(self) -> bool:
        """True when PostgreSQL answers."""
        try:
            with self.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            return True
        except sa.exc.SQLAlchemyError:
            return False


def open_database(url: str, *, pool_size: int = 10, engine_id: str = "baton-engine") -> Database:
    """A database with a pool of its own and a clock on it, for tests, benchmarks and tools that run
    outside the composition root (no publisher, no observer)."""
    engine = create_engine(normalize_url(url), pool_size=pool_size, engine_id=engine_id)
    return Database(url, engine=engine, clock=Clock(engine), engine_id=engine_id)


def _sqlstate(exc: sa.exc.DBAPIError) -> str | None:
    return getattr(exc.orig, "pgcode", None)


def _is_connection_error(exc: sa.exc.DBAPIError) -> bool:
    # psycopg2 raises deadlocks and serialization failures as OperationalError too.
    if _sqlstate(exc) in _RETRYABLE_SQLSTATES:
        return False
    return bool(exc.connection_invalidated) or isinstance(exc, sa.exc.OperationalError)


def is_connection_error(exc: BaseException) -> bool:
    """True when ``exc`` says PostgreSQL could not be reached or the connection died."""
    return isinstance(exc, sa.exc.DBAPIError) and _is_connection_error(exc)


def is_database_failure(exc: BaseException) -> bool:
    """True when PostgreSQL itself failed the work (a lost connection, a deadlock, a serialization
    failure): the caller retries it later rather than blaming the work."""
    return isinstance(exc, sa.exc.OperationalError)


def unavailable() -> EngineError:
    """The error (HTTP 503) for a database that cannot be reached."""
    return EngineError(
        ErrorKind.UNAVAILABLE, "database unavailable", "the engine could not reach PostgreSQL; retry later"
    )


def _is_retryable(exc: sa.exc.DBAPIError) -> bool:
    return _sqlstate(exc) in _RETRYABLE_SQLSTATES or _is_connection_error(exc)


class Clock:
    """The engine time: this host's clock plus the offset ``PATCH /time`` keeps in the database.

    The offset is read at most once per ``ttl`` seconds per process, so a transaction costs no
    extra round trip; another process sees a moved time within that delay (the process that
    moved it sees it at once). Hosts are expected to run NTP, as for any clustered service.
    """

    def __init__(self, engine: sa.Engine, ttl: float = 1.0) -> None:
        self._engine = engine
        self._ttl = ttl
        self._offset = timedelta(0)
        self._read_at = float("-inf")
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The engine time, to the millisecond."""
        if time.monotonic() - self._read_at > self._ttl:
            self.refresh()
        now = datetime.now(UTC) + self._offset
        return now.replace(microsecond=now.microsecond // 1000 * 1000)

    def refresh(self) -> None:
        """Read the offset from the database now."""
        with self._lock:
            with self._engine.connect() as conn:
                offset_ms = conn.execute(_OFFSET).scalar_one()
            self._offset = timedelta(milliseconds=offset_ms)
            self._read_at = time.monotonic()

    def moved(self, offset: timedelta) -> None:
        """Take a new offset this process has just committed."""
        with self._lock:
            self._offset = offset
            self._read_at = time.monotonic()


_OFFSET = sa.text("SELECT time_offset_ms FROM engine_state WHERE id = 1")
