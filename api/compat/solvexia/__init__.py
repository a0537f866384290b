"""The Solvexia process runs facade (``/v1/processruns…``, ``/v1/requests``): ``routes`` (the
blueprint), ``terms`` (run and step ids, statuses, step order, date formats), ``reading`` (what
is read from the engine) and ``shapes`` (the answers and their schemas)."""

from __future__ import annotations

from api.compat.solvexia.routes import blp

__all__ = ["blp"]
