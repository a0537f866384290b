"""Alembic environment: runs the migrations against the URL handed over by ``engine.store.migrate``."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from engine.store.tables import metadata

config = context.config


def run_migrations_online() -> None:
    """Run every pending migration in one transaction."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = sa.create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()


def _run(connection: sa.Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; use `baton migrate`")
run_migrations_online()
