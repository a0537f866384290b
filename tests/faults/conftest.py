"""Fixtures of the fault scenarios: a private Redis and a breakable Baton per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.faults.cluster import Cluster, RedisServer, cluster


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis of this test alone (it may be flushed, killed and restarted)."""
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def baton(fresh_database: Callable[[], str], private_redis: RedisServer, tmp_path: Path) -> Iterator[Cluster]:
    """A fresh database and a private Redis; the test starts the processes it needs."""
    with cluster(fresh_database, private_redis.url, tmp_path) as result:
        yield result
