"""Fixtures of the security scenarios: one running Baton (gunicorn API on a fresh database and a
private Redis) per module."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import Api
from tests.faults.cluster import Cluster, RedisServer, cluster


@pytest.fixture(scope="module")
def secured(fresh_database: Callable[[], str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A Baton with authentication on: API and worker on a fresh database and a private Redis."""
    directory: Path = tmp_path_factory.mktemp("secured")
    redis = RedisServer(directory)
    redis.start()
    try:
        with cluster(fresh_database, redis.url, directory) as result:
            result.start_api(threads=16)
            result.start_worker(concurrency=1)
            yield result
    finally:
        redis.stop()


@pytest.fixture(scope="module")
def api(secured: Cluster) -> Api:
    return secured.api()
