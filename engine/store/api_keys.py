"""Storage of API keys: a name, the SHA-256 hash of its secret, and when it was revoked."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeAlias

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from engine.store import tables
from engine.store.db import Tx

k = tables.api_key

# A connection outside a command's transaction (the API's, the CLI's).
Connection: TypeAlias = sa.Connection
# A row of the api_key table without its secret hash (name, created_at, revoked_at).
ApiKeyRow: TypeAlias = sa.Row[Any]


def insert(tx: Tx, name: str, secret_hash: str, created_at: datetime) -> int | None:
    """Store a new key; returns its id, or None when a key with this name exists."""
    return tx.conn.execute(
        postgresql.insert(k)
        .values(name=name, secret_hash=secret_hash, created_at=created_at)
        .on_conflict_do_nothing(index_elements=["name"])
        .returning(k.c.id)
    ).scalar_one_or_none()


def revoke(tx: Tx, name: str, revoked_at: datetime) -> int | None:
    """Revoke the active key with a name; returns its id, or None when there is none."""
    return tx.conn.execute(
        sa.update(k).where(k.c.name == name, k.c.revoked_at.is_(None)).values(revoked_at=revoked_at).returning(k.c.id)
    ).scalar_one_or_none()


def list_all(tx: Tx) -> list[ApiKeyRow]:
    """Every key's name and dates, oldest first."""
    return list(tx.conn.execute(sa.select(k.c.name, k.c.created_at, k.c.revoked_at).order_by(k.c.id)))


def active_name(conn: Connection, secret_hash: str) -> str | None:
    """The name of the active key with this secret hash, or None."""
    return conn.execute(
        sa.select(k.c.name).where(k.c.secret_hash == secret_hash, k.c.revoked_at.is_(None))
    ).scalar_one_or_none()
