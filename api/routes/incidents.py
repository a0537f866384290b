"""``/incidents``: failed work waiting for a person."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from api.context import baton
from api.routes.paths import resource
from api.schemas.common import CountedPageArgs, page_answer
from api.schemas.incidents import IncidentCriteriaSchema, IncidentResults, ResolveIncidentSchema
from engine.commands.incidents import resolve_incident
from engine.queries.incidents import query_incidents
from engine.queries.paging import Page

blp = Blueprint("incidents", __name__, description="Incidents: failed jobs and tasks, and stuck elements.")


@blp.route("/incidents/query", methods=["POST"])
@blp.arguments(CountedPageArgs, location="query", as_kwargs=True)
@blp.arguments(IncidentCriteriaSchema)
@blp.response(200, IncidentResults)
def query(criteria: dict[str, Any], offset: int, limit: int, total: bool) -> dict[str, Any]:
    """Query incidents (``resolved`` filters open or resolved ones); oldest first (``sortOrder``
    DESC: newest first; ``?total=true`` adds ``total``)."""
    descending = criteria.pop("sort_order", "ASC") == "DESC"
    with baton().db.engine.connect() as conn:
        results = query_incidents(conn, descending=descending, page=Page(offset, limit, total), **criteria)
    return page_answer(results, total)


@blp.route("/incidents/<partition>/<int:id>/resolve", methods=["PATCH"])
@blp.arguments(ResolveIncidentSchema)
@blp.response(204, description="Incident resolved")
def resolve(data: dict[str, Any], partition: str, id: int) -> None:
    """Resolve an incident: the failed job or task is tried again (retry count 0) after ``retryTimer``."""
    day, id = resource(partition, id, "incident")
    baton().run(resolve_incident, day, id, data["worker_id"], data.get("retry_timer"), worker_id=data["worker_id"])
