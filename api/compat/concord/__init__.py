"""The Concord facade (``/api/v1/process…``): ``routes`` (the blueprint), ``payload`` (reading a
payload ZIP safely), ``terms`` (process ids and statuses), ``reading`` (what is read from the
engine) and ``shapes`` (the status answer)."""

from __future__ import annotations

from api.compat.concord.routes import blp

__all__ = ["blp"]
