"""``/process-cache``: the parsed process graphs this API process keeps in memory."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from api.context import baton
from api.schemas.common import CountSchema
from api.schemas.process_cache import ForgetProcessesSchema
from engine.commands.process_cache import forget_cached_processes

blp = Blueprint("process-cache", __name__, description="The cache of parsed process graphs of this API process.")


@blp.route("/process-cache/forget", methods=["POST"])
@blp.arguments(ForgetProcessesSchema)
@blp.response(200, CountSchema)
def forget(data: dict[str, Any]) -> dict[str, int]:
    """Drop cached process graphs (every version of ``bpmnProcessId``, or all) from the API
    process that serves the request; answers how many were cached.

    Deployed processes never change, so the cache is never stale: this frees memory, it does not
    refresh anything, and it does not reach other API or worker processes (none need it)."""
    with baton().db.engine.connect() as conn:
        return {"count": forget_cached_processes(conn, data.get("bpmn_process_id"))}
