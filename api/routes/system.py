"""Readiness and the engine time."""

from __future__ import annotations

from typing import Any

import redis
from flask_smorest import Blueprint

from api.context import baton
from api.problems import problem
from api.schemas.variables import ReadinessSchema, SetTimeSchema, TimeSchema
from engine.commands.time import engine_time, set_time

blp = Blueprint("system", __name__, description="Health and engine time.")


@blp.route("/readiness", methods=["GET"])
@blp.response(200, ReadinessSchema, description="Ready; `degraded` while only the broker is down")
@blp.alt_response(503, description="Not ready: PostgreSQL does not answer")
@blp.doc(security=[])  # public: load balancers and probes ask without a key
def readiness() -> Any:
    """200 while PostgreSQL answers, 503 otherwise.

    The broker is only a wake-up channel: while Redis is down every command is still accepted
    (its work waits in PostgreSQL and the beat sweep publishes it later), so the API stays in
    its load balancer and says ``degraded``.
    """
    context = baton()
    if not context.db.ping():
        return problem(503, "UNAVAILABLE", "not ready", "PostgreSQL not reachable")
    if not context.settings.broker_url:
        # An API built without a broker (tests, embedding) publishes nothing: say so, rather
        # than claim a broker that is not there. `baton api` refuses to start without one.
        return {"status": "ready", "database": "up", "broker": "none"}
    if _broker_ok(context.settings.broker_url):
        return {"status": "ready", "database": "up", "broker": "up"}
    return {"status": "degraded", "database": "up", "broker": "unreachable"}


def _broker_ok(url: str) -> bool:
    if url.startswith("redis+socket://"):  # kombu's form of a Unix socket URL
        url = "unix://" + url[len("redis+socket://") :]
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except (redis.RedisError, OSError, ValueError):
        return False


@blp.route("/time", methods=["GET"])
@blp.response(200, TimeSchema)
def get_time() -> dict[str, Any]:
    """The engine time (wall clock plus what PATCH /time added)."""
    return {"time": baton().run(engine_time)}


@blp.route("/time", methods=["PATCH"])
@blp.arguments(SetTimeSchema)
@blp.response(200, TimeSchema)
def patch_time(data: dict[str, Any]) -> dict[str, Any]:
    """Move the engine time forward: to ``time``, by ``timeDuration``, or to the next ``timeCycle``
    tick. Moving it backwards is a 409."""
    return {
        "time": baton().run(
            set_time, time=data.get("time"), time_duration=data.get("time_duration"), time_cycle=data.get("time_cycle")
        )
    }
