"""Fixtures of the CLI tests that run ``baton`` against a live API: the e2e ``stack`` and the
client tests' ``baton`` (a ``BatonClient`` on it), shared rather than defined twice."""

from __future__ import annotations

from tests.client.conftest import baton  # noqa: F401 - the fixture, re-exported
from tests.e2e.conftest import stack  # noqa: F401 - the fixture, re-exported
