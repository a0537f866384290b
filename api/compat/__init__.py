"""Compatibility facades: other systems' APIs mapped onto the same engine commands.

Each facade is one package (``atom``, ``concord``, ``oneweb``, ``solvexia``) whose ``blp`` is a
flask-smorest blueprint (so it appears in ``/openapi.json``); inside it ``routes`` holds the
blueprint, ``reading`` what is read from the engine and ``shapes`` the facade's JSON. A facade
holds no business rule of its own: what it needs that the native API lacks is added to the
native API first.
"""

from __future__ import annotations

import importlib
from typing import Any

# The facade packages registered by create_app, in this order.
FACADES: tuple[str, ...] = ("atom", "concord", "oneweb", "solvexia")


def register(api: Any, names: tuple[str, ...] | None = None) -> None:
    """Register the facades' blueprints on a flask-smorest ``Api`` (``FACADES`` read at call time)."""
    for name in FACADES if names is None else names:
        api.register_blueprint(importlib.import_module(f"api.compat.{name}").blp)
