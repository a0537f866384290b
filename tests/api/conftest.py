"""Fixtures of the API tests: the Flask app over the real database and an authenticated test client."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest


@pytest.fixture
def app(db: object) -> Iterator[object]:
    """The Flask app over this test's database; auth on, no broker (tasks run via /tasks/execute)."""
    from api.app import create_app
    from engine.settings import Settings

    settings = Settings(
        database_url=db.url,
        auth_enabled=True,  # type: ignore[attr-defined]
        encryption_keys="k1:" + "A" * 43 + "=",
    )
    app = create_app(settings, db=db)  # type: ignore[arg-type]
    yield app
    app.extensions["baton"].wakeups.stop()


@pytest.fixture
def api_key(db: object) -> str:
    """A valid API key."""
    from engine.commands.api_keys import create_api_key

    return db.run(create_api_key, "tests")  # type: ignore[attr-defined]


class Client:
    """A test client that sends the API key and JSON by default."""

    def __init__(self, app: object, key: str) -> None:
        self._client = app.test_client()  # type: ignore[attr-defined]
        self.headers = {"Authorization": key}

    def __getattr__(self, method: str) -> object:
        call = getattr(self._client, method)

        def request(path: str, **kwargs: object) -> object:
            headers = {**self.headers, **(kwargs.pop("headers", None) or {})}  # type: ignore[dict-item]
            return call(path, headers=headers, **kwargs)

        return request


@pytest.fixture
def client(app: object, api_key: str) -> Client:
    """An authenticated client of the native API (and of the facades a tests/api/compat test registers)."""
    return Client(app, api_key)


@pytest.fixture
def long_poll_asleep(app: object, monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Set when a long-polling request of ``app`` (``POST /jobs/lock`` with a timeout, ``GET
    …/wait``) has found nothing and gone to sleep: a test that must act *during* a long poll waits
    for this event instead of sleeping and hoping the request got there first."""
    asleep = threading.Event()
    wakeups = app.extensions["baton"].wakeups  # type: ignore[attr-defined]

    def spy(sleep: Callable[..., Any]) -> Callable[..., Any]:
        def sleeping(*args: Any, **kwargs: Any) -> Any:
            asleep.set()
            return sleep(*args, **kwargs)

        return sleeping

    monkeypatch.setattr(wakeups, "wait", spy(wakeups.wait))
    monkeypatch.setattr(wakeups, "wait_ended", spy(wakeups.wait_ended))
    return asleep
