"""``/messages`` and ``/signals``."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from api.context import baton
from api.schemas.common import PageArgs
from api.schemas.events import (
    MessageCriteriaSchema,
    MessageResults,
    MessageSchema,
    MessageSubscriptionCriteriaSchema,
    MessageSubscriptionResults,
    SendMessageSchema,
    SendSignalSchema,
    SignalSchema,
    SignalSubscriptionCriteriaSchema,
    SignalSubscriptionResults,
)
from engine.commands.messages import SendMessage, send_message
from engine.commands.signals import SendSignal, send_signal
from engine.queries import messages as message_queries
from engine.queries import signals as signal_queries
from engine.queries.paging import Page

blp = Blueprint("events", __name__, description="Messages and signals.")


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


@blp.route("/signals", methods=["POST"])
@blp.arguments(SendSignalSchema)
@blp.response(200, SignalSchema)
def signal(data: dict[str, Any]) -> Any:
    """Send a signal to every subscriber and signal start event; answers with ``subscriberCount``."""
    context = baton()
    cmd = SendSignal(name=data["name"], worker_id=data["worker_id"], variables=data["variables"])
    return context.run(send_signal, cmd, context.policy, worker_id=cmd.worker_id)


@blp.route("/signals/subscriptions/query", methods=["POST"])
@blp.arguments(PageArgs, location="query", as_kwargs=True)
@blp.arguments(SignalSubscriptionCriteriaSchema)
@blp.response(200, SignalSubscriptionResults)
def query_signal_subscriptions(criteria: dict[str, Any], offset: int, limit: int) -> dict[str, Any]:
    """Query element instances waiting for signals."""
    with baton().db.engine.connect() as conn:
        results = signal_queries.query_signal_subscriptions(conn, page=Page(offset, limit), **criteria)
    return {"count": len(results), "results": results}
