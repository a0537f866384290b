"""The Atom Engine facade (``/api/v1/processes…``): ``routes`` (the blueprint), ``args`` (query and
body arguments), ``terms`` (Atom's ids, statuses and element types), ``reading`` (what is read
from the engine) and the shapes of its answers (``shapes``, ``typed_shapes``, ``stats_shapes``)."""

from __future__ import annotations

from api.compat.atom.routes import blp

__all__ = ["blp"]
