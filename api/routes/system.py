"""Readiness and the engine time."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_smorest import Blueprint

from api.context import baton
from api.problems import problem
from api.schemas.variables import SetTimeSchema, TimeSchema
from engine.commands.time import engine_time, set_time

blp = Blueprint("system", __name__, description="Health and engine time.")


@blp.route("/readiness", methods=["GET"])
@blp.response(200, description="Ready: PostgreSQL and the broker answer")
@blp.alt_response(503, description="Not ready")
def readiness() -> Response:
    """200 when PostgreSQL and the broker both answer; 503 (with what is down) otherwise."""
    context = baton()
    database = context.db.ping()
    broker = _broker_ok(context.settings.broker_url)
    if database and broker:
        return Response(status=200)
    down = [name for name, ok in (("PostgreSQL", database), ("broker", broker)) if not ok]
    return problem(503, "UNAVAILABLE", "not ready", f"{' and '.join(down)} not reachable")


def _broker_ok(url: str) -> bool:
    if not url:
        return True
    import redis

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
