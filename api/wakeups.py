"""Waking long-polling requests: ``POST /jobs/lock`` when jobs appear, ``GET …/wait`` when an
instance ends.

Transactions that create or unlock jobs send ``NOTIFY baton_jobs``; an instance that ends sends
``NOTIFY baton_instances '<partition>/<id>'`` (both by triggers, at commit). One thread per API
process LISTENs on its own connection and wakes the waiting requests. If the listener is down,
waiters still re-check every second, so correctness never depends on it.
"""

from __future__ import annotations

import logging
import select
import threading
import time
from collections import deque

import psycopg2
import psycopg2.extensions

from engine.store.notifications import INSTANCES_CHANNEL, JOBS_CHANNEL, listener_dsn, subscribe

log = logging.getLogger(__name__)

# The longest a waiting request sleeps before it looks again by itself.
RECHECK_SECONDS = 1.0
_RECENT = 10_000


class JobWakeups:
    """Generation counters advanced by notifications, and the instances that recently ended."""

    def __init__(self, database_url: str | None) -> None:
        self._url = database_url
        self._condition = threading.Condition()
        self._generation = 0
        self._ended: deque[str] = deque(maxlen=_RECENT)
        self._ended_set: set[str] = set()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def start(self) -> None:
        """Start listening (once per process, lazily on the first long poll)."""
        if self._url is None or (self._thread is not None and self._thread.is_alive()):
            return
        self._thread = threading.Thread(target=self._listen, name="baton-wakeups", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop listening."""
        self._stop.set()

    @property
    def generation(self) -> int:
        """The current job generation; pass it to :meth:`wait`."""
        return self._generation

    def wait(self, generation: int, timeout: float) -> None:
        """Sleep until a job notification newer than ``generation`` or ``timeout`` seconds pass."""
        self.start()
        deadline = time.monotonic() + min(timeout, RECHECK_SECONDS)
        with self._condition:
            while self._generation == generation:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                self._condition.wait(remaining)

    def wait_ended(self, key: str, timeout: float) -> bool:
        """Sleep until the instance ``key`` (``partition/id``) is reported ended, at most
        ``min(timeout, 1 s)``; True when it was."""
        self.start()
        deadline = time.monotonic() + min(timeout, RECHECK_SECONDS)
        with self._condition:
            while key not in self._ended_set:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._condition.wait(remaining)
            return True

    def notify(self, channel: str = JOBS_CHANNEL, payload: str = "") -> None:
        """Wake the waiters of a channel (also called in-process)."""
        with self._condition:
            if channel == INSTANCES_CHANNEL:
                if len(self._ended) == self._ended.maxlen:
                    self._ended_set.discard(self._ended[0])
                self._ended.append(payload)
                self._ended_set.add(payload)
            else:
                self._generation += 1
            self._condition.notify_all()

    def _listen(self) -> None:
        assert self._url is not None
        dsn = listener_dsn(self._url)
        while not self._stop.is_set():
            try:
                conn = psycopg2.connect(dsn, application_name="baton-wakeups")
                conn.set_isolation_level(psycopg2.extensions.ISOLATION_LEVEL_AUTOCOMMIT)
                subscribe(conn)
                while not self._stop.is_set():
                    if select.select([conn], [], [], 1.0) == ([], [], []):
                        continue
                    conn.poll()
                    while conn.notifies:
                        note = conn.notifies.pop(0)
                        self.notify(note.channel, note.payload)
                conn.close()
            except (psycopg2.Error, OSError):
                if self._stop.is_set():
                    return
                log.warning("wake-up listener lost its connection; retrying in 1 s", exc_info=True)
                time.sleep(1.0)
