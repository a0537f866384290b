"""Schema migrations with Alembic, run programmatically (``baton migrate``, ``baton up``)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from engine.store.db import normalize_url

_MIGRATIONS = Path(__file__).parent / "migrations"
# Serializes concurrent `baton migrate` runs (several replicas starting at once).
_MIGRATION_LOCK = 7_100_000


def alembic_config(url: str) -> Config:
    """An Alembic configuration pointing at our migrations and the given database."""
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the schema up to ``revision`` (default: the newest)."""
    config = alembic_config(url)
    engine = sa.create_engine(normalize_url(url))
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
            config.attributes["connection"] = conn
            command.upgrade(config, revision)
    finally:
        engine.dispose()


def current_revision(url: str) -> str | None:
    """The revision the database is at, or None for an empty database."""
    engine = sa.create_engine(normalize_url(url))
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def head_revision() -> str | None:
    """The newest revision shipped with this version of Baton."""
    return ScriptDirectory.from_config(alembic_config("postgresql://localhost/x")).get_current_head()
