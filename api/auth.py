"""API-key authentication: ``Authorization: <key>`` or ``Authorization: Bearer <key>``.

Keys are looked up by their SHA-256 hash; a positive answer is cached for a few seconds so that
authentication costs no query per request (a revoked key stops working within that time).
"""

from __future__ import annotations

import threading
import time

from flask import Response, g, request

from api.context import baton
from api.problems import problem
from engine.commands.api_keys import authenticate, hash_secret

# Paths anyone may call: health checks and the API description.
PUBLIC_PATHS = frozenset({"/readiness", "/openapi.json"})
PUBLIC_PREFIXES = ("/docs",)
CACHE_SECONDS = 5.0


class KeyCache:
    """Recently verified key hashes and the name of their key."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def get(self, digest: str) -> str | None:
        entry = self._entries.get(digest)
        if entry is None or entry[1] < time.monotonic():
            return None
        return entry[0]

    def put(self, digest: str, name: str) -> None:
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[digest] = (name, time.monotonic() + CACHE_SECONDS)


_cache = KeyCache()


def secret_from_headers() -> str | None:
    """The key a request carries (``Authorization``, with or without ``Bearer``, or ``X-API-Key``)."""
    header = request.headers.get("Authorization", "").strip()
    if header.lower().startswith("bearer "):
        header = header[7:].strip()
    return header or request.headers.get("X-API-Key", "").strip() or None


def check_request() -> Response | None:
    """Refuse a request without a valid key (401), unless auth is off or the path is public."""
    context = baton()
    if not context.settings.auth_enabled:
        return None
    path = request.path
    if path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES) or request.method == "OPTIONS":
        return None
    secret = secret_from_headers()
    if secret is None:
        return problem(
            401,
            "UNAUTHORIZED",
            "authentication required",
            "send an API key in the Authorization header",
            headers={"WWW-Authenticate": "Bearer"},
        )
    digest = hash_secret(secret)
    name = _cache.get(digest)
    if name is None:
        with context.db.engine.connect() as conn:
            name = authenticate(conn, secret)
        if name is None:
            return problem(
                401,
                "UNAUTHORIZED",
                "authentication failed",
                "the API key is unknown or revoked",
                headers={"WWW-Authenticate": "Bearer"},
            )
        _cache.put(digest, name)
    g.api_key = name
    return None
