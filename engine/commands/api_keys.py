"""API keys: created with a secret shown once, stored as a SHA-256 hash, revocable."""

from __future__ import annotations

import hashlib
import re
import secrets

from engine.errors import EngineError, ErrorKind, conflict, not_found
from engine.store import api_keys as store
from engine.store.api_keys import Connection
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
    inserted = store.insert(tx, name, hash_secret(secret), tx.now)
    if inserted is None:
        raise conflict("failed to create API key", f"an API key named {name} exists")
    return secret


def revoke_api_key(tx: Tx, name: str) -> None:
    """Revoke a key by name; requests with it are refused from now on."""
    revoked = store.revoke(tx, name, tx.now)
    if revoked is None:
        raise not_found("failed to revoke API key", f"no active API key named {name}")


def list_api_keys(tx: Tx) -> list[dict[str, object]]:
    """Every key's name and dates (never a secret)."""
    return [{"name": r.name, "createdAt": r.created_at, "revokedAt": r.revoked_at} for r in store.list_all(tx)]


def authenticate(conn: Connection, secret: str) -> str | None:
    """The name of the active key with this secret, or None."""
    return store.active_name(conn, hash_secret(secret))
