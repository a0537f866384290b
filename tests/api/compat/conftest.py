"""Fixtures of the facade tests: the app with the facades a test module names, over the real
database. The authenticated ``client`` (and its ``api_key``) are those of tests/api/conftest.py,
over this app.

A test module chooses its facades by overriding the ``facades`` fixture; ``create_app`` then
registers exactly those (``api.compat.FACADES`` is patched for the test).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture
def facades() -> tuple[str, ...]:
    """The facade packages (``api/compat/<name>/``) the app registers; override per module."""
    return ()


@pytest.fixture
def app(db: object, facades: tuple[str, ...], monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """The Flask app over this test's database with the chosen facades; auth on, no broker."""
    from api import compat
    from api.app import create_app
    from engine.settings import Settings

    monkeypatch.setattr(compat, "FACADES", tuple(facades))
    settings = Settings(
        database_url=db.url,  # type: ignore[attr-defined]
        auth_enabled=True,
        encryption_keys="k1:" + "A" * 43 + "=",
    )
    app = create_app(settings, db=db)  # type: ignore[arg-type]
    yield app
    app.extensions["baton"].wakeups.stop()
