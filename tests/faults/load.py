"""Steady load for fault scenarios: threads that create instances (and complete their jobs) over
REST while something breaks, recording every answer."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from tests.e2e.conftest import Api


@dataclass
class Answer:
    """One request of the load: what was asked, what came back, how long it took."""

    what: str
    status: int  # 0: no HTTP answer at all (connection reset)
    seconds: float
    body: Any = None


@dataclass
class Load:
    """Creates instances of ``process_id`` from ``threads`` threads, ``rate`` per second in all,
    until stopped. Problems with status 503 are retried (as a client should), everything else is
    recorded as it came."""

    api: Api
    process_id: str
    rate: float = 10.0
    threads: int = 4
    retry_503: bool = True
    answers: list[Answer] = field(default_factory=list)
    created: list[dict[str, Any]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _workers: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def request(self, what: str, method: str, path: str, body: Any) -> tuple[int, Any]:
        """One call, retried on 503 and on a lost connection; every attempt is recorded."""
        while True:
            started = time.monotonic()
            try:
                response = self.api.session.request(method, self.api.url + path, json=body, timeout=60)
                status = response.status_code
                payload = response.json() if response.content else None
            except requests.RequestException as exc:
                status, payload = 0, str(exc)
            with self._lock:
                self.answers.append(Answer(what, status, time.monotonic() - started, payload))
            if status in (0, 503) and self.retry_503 and not self._stop.is_set():
                time.sleep(0.2)  # a client's back-off before its retry
                continue
            return status, payload

    def _run(self, pause: float, action: Callable[[], None]) -> None:
        next_at = time.monotonic()
        while not self._stop.is_set():
            action()
            next_at += pause
            delay = next_at - time.monotonic()
            if delay > 0:
                self._stop.wait(delay)

    def _create(self) -> None:
        status, body = self.request(
            "create", "POST", "/process-instances", {"bpmnProcessId": self.process_id, "workerId": "load"}
        )
        if status == 201:
            with self._lock:
                self.created.append(body)

    def start(self, action: Callable[[], None] | None = None) -> Load:
        pause = self.threads / self.rate
        for _ in range(self.threads):
            thread = threading.Thread(target=self._run, args=(pause, action or self._create), daemon=True)
            thread.start()
            self._workers.append(thread)
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._workers:
            thread.join(90)

    def statuses(self) -> Counter[int]:
        with self._lock:
            return Counter(a.status for a in self.answers)

    def slowest(self) -> float:
        with self._lock:
            return max((a.seconds for a in self.answers), default=0.0)
