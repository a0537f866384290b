"""``/signals``: send signals and query the element instances waiting for them.

Registered under the ``events`` blueprint of ``api.app`` with ``api.routes.messages``.
"""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from api.context import baton
from api.schemas.common import PageArgs
from api.schemas.signals import (
    SendSignalSchema,
    SignalSchema,
    SignalSubscriptionCriteriaSchema,
    SignalSubscriptionResults,
)
from engine.commands.signals import SendSignal, send_signal
from engine.queries import signals as queries
from engine.queries.paging import Page

blp = Blueprint("signals", __name__, description="Signals.")


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
        results = queries.query_signal_subscriptions(conn, page=Page(offset, limit), **criteria)
    return {"count": len(results), "results": results}
