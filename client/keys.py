"""Which API key a client sends when it is given none, and where ``baton up`` says it keeps it.

A client asks, in this order, and takes the first key it finds:

1. ``BATON_API_KEY`` (the operator CLI's ``--api-key`` sets the same);
2. the key file of the ``baton up`` serving the client's URL on this machine, found through the
   server registry: ``baton up`` records each URL it serves with the path of its key file in
   ``$XDG_STATE_HOME/baton/servers.json`` (``~/.local/state/baton/servers.json``; mode 0600,
   the key itself is not in it) and removes the record when it stops;
3. ``$BATON_DATA_DIR/api-key`` when ``BATON_DATA_DIR`` is set;
4. ``~/.baton/api-key``, the key file of ``baton up`` with its default data directory.

Every lookup keeps the list of what it tried, so that a 401 can say where the key came from (or
that none was found anywhere).

Loopback names are one host here: a server bound to ``127.0.0.1``, ``localhost``, ``::1``, or to
every address (``0.0.0.0``, ``::``) serves ``http://localhost:PORT`` and ``http://127.0.0.1:PORT``
alike.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

try:  # POSIX; elsewhere the registry is written without a lock
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0", "::"})  # noqa: S104 - names, not binds
KEY_FILE_NAME = "api-key"


@dataclass(frozen=True)
class KeyLookup:
    """The outcome of looking for an API key: the key (or ``None``), where it came from, and
    every place that was tried, each with what was found there."""

    key: str | None
    source: str | None
    tried: tuple[str, ...]

    def explain(self) -> str:
        """One paragraph for a 401: which key was sent (and from where), or where none was found."""
        if self.key is None:
            places = "; ".join(self.tried)
            return f"no API key was found (looked at: {places}); pass --api-key or set BATON_API_KEY"
        return f"the server refused the API key from {self.source}; pass another with --api-key or BATON_API_KEY"


def registry_path() -> Path:
    """``$XDG_STATE_HOME/baton/servers.json``, by default ``~/.local/state/baton/servers.json``."""
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state).expanduser() / "baton" / "servers.json"


def server_key(url: str) -> str:
    """The registry's name of a server URL: scheme, host and port, every loopback name as one."""
    parts = urlsplit(url if "://" in url else f"http://{url}")
    scheme = (parts.scheme or "http").lower()
    host = (parts.hostname or "localhost").lower()
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:  # a port that is not a number: such a URL names no registered server
        return url
    if host in LOOPBACK_HOSTS or host.startswith("127."):
        host = "localhost"
    return f"{scheme}://{host}:{port}"


def find_api_key(url: str) -> KeyLookup:
    """The API key a client of ``url`` sends when it is given none (the module's order)."""
    tried: list[str] = []
    env_key = (os.environ.get("BATON_API_KEY") or "").strip()
    if env_key:
        return KeyLookup(env_key, "BATON_API_KEY (or --api-key)", ("BATON_API_KEY (or --api-key): set",))
    tried.append("BATON_API_KEY (or --api-key): not set")
    registry = registry_path()
    entry = registered_server(url)
    if entry is None:
        tried.append(f"the baton up registry {registry}: no server recorded for {server_key(url)}")
    else:
        key_file = entry.get("keyFile")
        if not key_file:
            tried.append(f"the baton up registry {registry}: the server at {server_key(url)} runs without keys")
        else:
            found = _read_key(Path(key_file))
            label = f"the key file of the baton up at {server_key(url)} ({key_file}, from {registry})"
            if found:
                return KeyLookup(found, label, (*tried, f"{label}: found"))
            tried.append(f"{label}: missing or unreadable")
    data_dir = os.environ.get("BATON_DATA_DIR")
    candidates = [("$BATON_DATA_DIR", Path(data_dir).expanduser() / KEY_FILE_NAME)] if data_dir else []
    if not data_dir:
        tried.append("$BATON_DATA_DIR/api-key: BATON_DATA_DIR not set")
    candidates.append(("the default data directory", Path.home() / ".baton" / KEY_FILE_NAME))
    for what, path in candidates:
        found = _read_key(path)
        if found:
            return KeyLookup(found, f"{path} ({what})", (*tried, f"{path}: found"))
        tried.append(f"{path}: no such file")
    return KeyLookup(None, None, tuple(tried))


def registered_server(url: str) -> dict[str, Any] | None:
    """The registry's record of the ``baton up`` serving ``url``, or ``None``."""
    return _load(registry_path()).get(server_key(url))


def register_server(urls: list[str], key_file: Path | None, data_dir: Path, pid: int | None = None) -> None:
    """Record that this machine's ``baton up`` (process ``pid``) serves ``urls`` with the key in
    ``key_file`` (``None``: authentication is off). A record of the same URL is replaced."""
    record = {
        "keyFile": str(key_file) if key_file else None,
        "dataDir": str(data_dir),
        "pid": pid if pid is not None else os.getpid(),
        "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    with _locked(registry_path()) as servers:
        for url in urls:
            servers[server_key(url)] = record


def unregister_server(urls: list[str], pid: int | None = None) -> None:
    """Remove the records of ``urls`` that process ``pid`` made (another server's stay)."""
    pid = pid if pid is not None else os.getpid()
    path = registry_path()
    if not path.exists():
        return
    with _locked(path) as servers:
        for url in urls:
            name = server_key(url)
            if servers.get(name, {}).get("pid") == pid:
                del servers[name]


def _read_key(path: Path) -> str | None:
    try:
        return path.read_text().strip() or None
    except OSError:
        return None


def _load(path: Path) -> dict[str, Any]:
    try:
        servers = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return servers if isinstance(servers, dict) else {}


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[dict[str, Any]]:
    """The registry, read under an exclusive lock and written back atomically (mode 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    lock_fd = os.open(path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if fcntl is not None:
            fcntl.flock(lock_fd, fcntl.LOCK_EX)
        servers = _load(path)
        yield servers
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".servers-", suffix=".json")
        try:
            with os.fdopen(fd, "w") as handle:
                json.dump(servers, handle, indent=2, sort_keys=True)
            os.chmod(temporary, 0o600)
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
    finally:
        os.close(lock_fd)
