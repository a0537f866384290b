"""Compatibility facades: other systems' APIs mapped onto the same engine commands.

Each facade is one module with a flask-smorest ``blp`` (so it appears in ``/openapi.json``). A
facade holds no business rule of its own: what it needs that the native API lacks is added to
the native API first.
"""

from __future__ import annotations

import importlib
from typing import Any

# The facade modules registered by create_app, in this order.
FACADES: tuple[str, ...] = ("atom", "concord", "oneweb", "solvexia")


def register(api: Any, names: tuple[str, ...] | None = None) -> None:
    """Register the facades' blueprints on a flask-smorest ``Api`` (``FACADES`` read at call time)."""
    for name in FACADES if names is None else names:
        api.register_blueprint(importlib.import_module(f"api.compat.{name}").blp)
