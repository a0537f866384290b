"""The composition root: :func:`wire` builds, from the settings, everything a Baton process runs on.

Settings → the connection pool and the engine :class:`~engine.store.db.Clock` on it → the
:class:`~engine.store.db.Database` → the variable :class:`~engine.variables.Keyring` and
:class:`~engine.variables.Policy` → the Celery :class:`~workers.publish.Publisher` → the context
engine tasks run with. The API (``api.create_app``), the Celery workers (``workers.celery_tasks``)
and the CLI's database commands (``baton migrate``, ``baton api-key``, ``baton up``) all call it;
what differs between them is one row of :data:`PROFILES`.

Why here: the Publisher is built on Celery, and ``engine/`` may import neither Celery nor
``workers/`` (import-linter), so the root cannot live in the engine unless something else built
the Publisher and handed it in (a second root). ``workers/`` already owns the Publisher; this
module imports only ``engine/`` and :mod:`workers.publish`, never the Celery app or its tasks, so
the API may import it (the contract "api imports the engine, workers.publish and workers.wiring
only") and the CLI may too.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from engine.commands.engine_tasks.executor import TaskContext
from engine.metrics import observe
from engine.settings import Settings
from engine.store.db import Clock, Database, create_engine
from engine.store.db import Publisher as PublishFunction
from engine.variables import Keyring, Policy
from workers.publish import BREAKER_SECONDS, Publisher


class Process(Enum):
    """The kind of process being wired."""

    API = "api"
    WORKER = "worker"
    TOOL = "tool"  # a CLI command that writes to the database directly: migrate, api-key, up


@dataclass(frozen=True)
class Profile:
    """How one kind of process is wired."""

    # Connections of the pool; None: ``settings.database_pool_size``.
    pool_size: int | None
    # Seconds publishing is skipped after a failed publish; None: this process publishes nothing.
    breaker_seconds: float | None
    # Publish only when ``settings.broker_url`` is set (else there is no broker to tell).
    publish_needs_broker: bool
    # Name its connections, and record ``createdBy``/``lockedBy``, with ``settings.engine_id``
    # (else the default engine id).
    named: bool
    # Feed the engine metrics (``engine.metrics.observe``) with every commit.
    observed: bool
    # Read ``BATON_ENCRYPTION_KEYS``: a process that never reads or writes variables leaves them
    # alone (and does not fail on keys only the API and workers use).
    reads_keys: bool
    # Honour ``BATON_FAULT_CRASH_BEFORE_PUBLISH`` (the fault tests crash API processes only).
    fault_injection: bool


PROFILES: dict[Process, Profile] = {
    Process.API: Profile(
        pool_size=None,
        # A circuit breaker: while Redis is down a command must not wait for a broker connection.
        breaker_seconds=BREAKER_SECONDS,
        publish_needs_broker=True,
        named=True,
        observed=True,
        reads_keys=True,
        fault_injection=True,
    ),
    Process.WORKER: Profile(
        pool_size=2,
        # No circuit breaker: the sweep must publish as soon as Redis answers again, and a worker
        # has no caller waiting on its publishes.
        breaker_seconds=0,
        publish_needs_broker=False,
        named=True,
        observed=True,
        reads_keys=True,
        fault_injection=False,
    ),
    Process.TOOL: Profile(
        pool_size=1,
        breaker_seconds=None,
        publish_needs_broker=False,
        named=False,
        observed=False,
        reads_keys=False,
        fault_injection=False,
    ),
}


@dataclass(frozen=True)
class Wiring:
    """What a process runs on, built once by :func:`wire`."""

    settings: Settings
    clock: Clock
    db: Database
    keyring: Keyring
    policy: Policy
    # The publisher registered on ``db`` (None when this process publishes nothing).
    publisher: PublishFunction | None
    # What engine task handlers need.
    task_context: TaskContext


def wire(
    settings: Settings,
    process: Process,
    *,
    db: Database | None = None,
    publisher: PublishFunction | None = None,
) -> Wiring:
    """Build the clock, database, keyring, policy and publisher of a ``process`` from ``settings``.

    ``db`` and ``publisher`` replace the ones that would be built (tests pass their own); a
    given ``db`` keeps its own clock.
    """
    profile = PROFILES[process]
    if db is None:
        engine_id = settings.engine_id if profile.named else Settings().engine_id
        pool_size = settings.database_pool_size if profile.pool_size is None else profile.pool_size
        engine = create_engine(settings.database_url, pool_size=pool_size, engine_id=engine_id)
        db = Database(settings.database_url, engine_id=engine_id, engine=engine, clock=Clock(engine))
    breaker = profile.breaker_seconds
    if publisher is None and breaker is not None and (settings.broker_url or not profile.publish_needs_broker):
        publisher = Publisher(settings.broker_url, settings.queue, breaker_seconds=breaker)
    if publisher is not None:
        db.add_publisher(publisher)
    if profile.fault_injection:
        db.crash_before_publish = settings.fault_crash_before_publish
    keyring = Keyring.parse(settings.encryption_keys if profile.reads_keys else "")
    policy = Policy(
        keyring,
        settings.variable_compress_bytes,
        settings.max_variable_bytes_per_instance,
        settings.max_variables_per_request,
    )
    if profile.observed:
        db.add_observer(observe)
    task_context = TaskContext(
        policy=policy,
        engine_id=settings.engine_id,
        partitions_ahead=settings.partitions_ahead,
        retention_days=settings.retention_days,
    )
    return Wiring(settings, db.clock, db, keyring, policy, publisher, task_context)
