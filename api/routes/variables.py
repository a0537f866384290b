"""Variables of process instances and element instances."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_smorest import Blueprint

from api.context import baton
from api.routes.paths import resource
from api.schemas.common import PageArgs, VariablesResponse
from api.schemas.variables import SetVariablesSchema, VariableCriteriaSchema, VariableResults
from engine.commands import variables as commands
from engine.queries.paging import Page
from engine.queries.variables import query_variables

blp = Blueprint("variables", __name__, description="Variables at process and element instance scope.")


def _names() -> list[str]:
    raw = request.args.get("names", "")
    return [name.strip() for name in raw.split(",") if name.strip()][:100]


def _response(values: dict[str, Any]) -> dict[str, Any]:
    return {"count": len(values), "variables": [{"name": name, "data": data} for name, data in values.items()]}


@blp.route("/process-instances/<partition>/<int:id>/variables", methods=["GET"])
@blp.response(200, VariablesResponse)
def get_process_variables(partition: str, id: int) -> dict[str, Any]:
    """Variables of an active or ended process instance (``?names=a,b`` to choose)."""
    context = baton()
    day, id = resource(partition, id, "process instance")
    return _response(context.run(commands.get_process_variables, day, id, _names(), context.policy))


@blp.route("/process-instances/<partition>/<int:id>/variables", methods=["PUT"])
@blp.arguments(SetVariablesSchema)
@blp.response(204, description="Variables set or deleted")
def set_process_variables(data: dict[str, Any], partition: str, id: int) -> None:
    """Set or delete (no data) variables of an active process instance."""
    context = baton()
    day, id = resource(partition, id, "process instance")
    context.run(commands.set_process_variables, day, id, data["variables"], context.policy, worker_id=data["worker_id"])


@blp.route("/element-instances/<partition>/<int:id>/variables", methods=["GET"])
@blp.response(200, VariablesResponse)
def get_element_variables(partition: str, id: int) -> dict[str, Any]:
    """Variables of an element instance and its enclosing scopes (``?excludeParents=true`` for
    its own only; ``?names=a,b`` to choose)."""
    context = baton()
    day, id = resource(partition, id, "element instance")
    include_parents = request.args.get("excludeParents", "false").lower() not in ("true", "1")
    return _response(
        context.run(commands.get_element_variables, day, id, _names(), context.policy, include_parents=include_parents)
    )


@blp.route("/element-instances/<partition>/<int:id>/variables", methods=["PUT"])
@blp.arguments(SetVariablesSchema)
@blp.response(204, description="Variables set or deleted")
def set_element_variables(data: dict[str, Any], partition: str, id: int) -> None:
    """Set or delete (no data) variables of an active element instance."""
    context = baton()
    day, id = resource(partition, id, "element instance")
    context.run(commands.set_element_variables, day, id, data["variables"], context.policy, worker_id=data["worker_id"])


@blp.route("/variables/query", methods=["POST"])
@blp.arguments(PageArgs, location="query", as_kwargs=True)
@blp.arguments(VariableCriteriaSchema)
@blp.response(200, VariableResults)
def query(criteria: dict[str, Any], offset: int, limit: int) -> dict[str, Any]:
    """Query variables (metadata only; read values through the scope endpoints)."""
    criteria["names"] = tuple(criteria.pop("names", ()) or ())
    with baton().db.engine.connect() as conn:
        results = query_variables(conn, page=Page(offset, limit), **criteria)
    return {"count": len(results), "results": results}
