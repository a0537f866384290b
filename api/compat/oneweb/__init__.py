"""The ONEWEB process runtime facade (``/BPMREST/service/runtime/…``): ``routes`` (the blueprint),
``args`` (arguments), ``terms`` (ids, business objects), ``reading`` (what is read from the
engine) and ``shapes`` (the envelope, the task shape and their schemas)."""

from __future__ import annotations

from api.compat.oneweb.routes import blp

__all__ = ["blp"]
