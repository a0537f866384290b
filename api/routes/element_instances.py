"""``/element-instances``: the token tree of process instances."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from api.context import baton
from api.schemas.common import PageArgs
from api.schemas.element_instances import ElementInstanceCriteriaSchema, ElementInstanceResults
from engine.queries.element_instances import query_element_instances
from engine.queries.paging import Page

blp = Blueprint("element-instances", __name__, description="Element instances: the token tree of an instance.")


@blp.route("/element-instances/query", methods=["POST"])
@blp.arguments(PageArgs, location="query", as_kwargs=True)
@blp.arguments(ElementInstanceCriteriaSchema)
@blp.response(200, ElementInstanceResults)
def query(criteria: dict[str, Any], offset: int, limit: int) -> dict[str, Any]:
    """Query element instances (``states`` filters by state)."""
    with baton().db.engine.connect() as conn:
        results = query_element_instances(conn, page=Page(offset, limit), **criteria)
    return {"count": len(results), "results": results}
