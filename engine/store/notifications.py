"""The PostgreSQL channels the engine notifies at commit, and subscribing a connection to them.

Transactions that create or unlock jobs send ``NOTIFY baton_jobs``; an instance that ends sends
``NOTIFY baton_instances '<partition>/<id>'`` (both by triggers, at commit). A listener opens its
own autocommit connection (:func:`listener_dsn`) and subscribes it with :func:`subscribe`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import make_url

from engine.store.db import JOBS_CHANNEL

INSTANCES_CHANNEL = "baton_instances"
# The channels a listener subscribes to, in the order of its LISTEN statements.
CHANNELS = (JOBS_CHANNEL, INSTANCES_CHANNEL)
_LISTEN = "; ".join(f"LISTEN {channel}" for channel in CHANNELS)

__all__ = ["CHANNELS", "INSTANCES_CHANNEL", "JOBS_CHANNEL", "listener_dsn", "subscribe"]


def listener_dsn(database_url: str) -> str:
    """The libpq connection string of a database URL (any SQLAlchemy driver name), for a
    DBAPI connection of its own."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def subscribe(dbapi_connection: Any) -> None:
    """LISTEN on every channel of :data:`CHANNELS` on a DBAPI connection in autocommit mode."""
    with dbapi_connection.cursor() as cursor:
        cursor.execute(_LISTEN)
