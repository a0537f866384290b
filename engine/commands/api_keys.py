"""API keys: created with a secret shown once, stored as a SHA-256 hash, revocable."""

from __future__ import annotations

import hashlib
import re
import secrets

import sqlalchemy as sa

from engine.errors import EngineError, ErrorKind, conflict, not_found
from engine.store import tables
from engine.store.db import Tx

NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,100}$")
_PREFIX = "baton_"


def hash_secret(secret: str) -> str:
    """The stored form of a secret."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_api_key(tx: Tx, name: str) -> str:
    """Create a key and return its secret (the only time it is ever shown)."""
    if not NAME.match(name):
        raise EngineError(
            ErrorKind.VALIDATION,
            "failed to create API key",
            "a key name is 1-100 characters of letters, digits, _ . @ -",
        )
    secret = _PREFIX + secrets.token_urlsafe(32)
    inserted = tx.conn.execute(
        sa.dialects.postgresql.insert(tables.api_key)
        .values(name=name, secret_hash=hash_secret(secret), created_at=tx.now)
        .on_conflict_do_nothing(index_elements=["name"])
        .returning(tables.api_key.c.id)
    ).scalar_one_or_none()
    if inserted is None:
        raise conflict("failed to create API key", f"an API key named {name} exists")
    return secret


def revoke_api_key(tx: Tx, name: str) -> None:
    """Revoke a key by name; requests with it are refused from now on."""
    revoked = tx.conn.execute(
        sa.update(tables.api_key)
        .where(tables.api_key.c.name == name, tables.api_key.c.revoked_at.is_(None))
        .values(revoked_at=tx.now)
        .returning(tables.api_key.c.id)
    ).scalar_one_or_none()
    if revoked is None:
        raise not_found("failed to revoke API key", f"no active API key named {name}")


def list_api_keys(tx: Tx) -> list[dict[str, object]]:
    """Every key's name and dates (never a secret)."""
    rows = tx.conn.execute(
        sa.select(tables.api_key.c.name, tables.api_key.c.created_at, tables.api_key.c.revoked_at).order_by(
            tables.api_key.c.id
        )
    )
    return [{"name": r.name, "createdAt": r.created_at, "revokedAt": r.revoked_at} for r in rows]


def authenticate(conn: sa.Connection, secret: str) -> str | None:
    """The name of the active key with this secret, or None."""
    return conn.execute(
        sa.select(tables.api_key.c.name).where(
            tables.api_key.c.secret_hash == hash_secret(secret), tables.api_key.c.revoked_at.is_(None)
        )
    ).scalar_one_or_none()
