"""``/messages``: send messages, query them and the element instances waiting for them.

Registered under the ``events`` blueprint of ``api.app`` with ``api.routes.signals`` (the tag
the OpenAPI document has always given both).
"""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from api.context import baton
from api.schemas.common import PageArgs
from api.schemas.messages import (
    MessageCriteriaSchema,
    MessageResults,
    MessageSchema,
    MessageSubscriptionCriteriaSchema,
    MessageSubscriptionResults,
    SendMessageSchema,
)
from engine.commands.messages import SendMessage, send_message
from engine.queries import messages as message_queries
from engine.queries.paging import Page

blp = Blueprint("messages", __name__, description="Messages.")


@blp.route("/messages", methods=["POST"])
@blp.arguments(SendMessageSchema)
@blp.response(200, MessageSchema)
def send(data: dict[str, Any]) -> Any:
    """Send a message: it reaches the oldest subscriber with its name and correlation key, or
    starts an instance at a message start event, or waits until its ``expirationTimer`` (without
    one it expires at once). A ``uniqueKey`` already taken returns the existing message."""
    context = baton()
    timer = data.get("expiration_timer")
    if timer:
        timer = {
            "time": timer["time"].isoformat() if timer.get("time") else None,
            "timeDuration": timer.get("time_duration"),
            "timeCycle": timer.get("time_cycle"),
        }
    cmd = SendMessage(
        name=data["name"],
        correlation_key=data["correlation_key"],
        worker_id=data["worker_id"],
        unique_key=data.get("unique_key"),
        expiration_timer=timer,
        variables=data["variables"],
    )
    return context.run(send_message, cmd, context.policy, worker_id=cmd.worker_id)


@blp.route("/messages/query", methods=["POST"])
@blp.arguments(PageArgs, location="query", as_kwargs=True)
@blp.arguments(MessageCriteriaSchema)
@blp.response(200, MessageResults)
def query_messages(criteria: dict[str, Any], offset: int, limit: int) -> dict[str, Any]:
    """Query messages (``excludeExpired`` leaves out expired ones)."""
    context = baton()
    now = context.db.clock.now()
    with context.db.engine.connect() as conn:
        results = message_queries.query_messages(conn, now, page=Page(offset, limit), **criteria)
    return {"count": len(results), "results": results}


@blp.route("/messages/subscriptions/query", methods=["POST"])
@blp.arguments(PageArgs, location="query", as_kwargs=True)
@blp.arguments(MessageSubscriptionCriteriaSchema)
@blp.response(200, MessageSubscriptionResults)
def query_message_subscriptions(criteria: dict[str, Any], offset: int, limit: int) -> dict[str, Any]:
    """Query element instances waiting for messages."""
    with baton().db.engine.connect() as conn:
        results = message_queries.query_message_subscriptions(conn, page=Page(offset, limit), **criteria)
    return {"count": len(results), "results": results}
