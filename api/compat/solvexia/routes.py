"""Solvexia process runs facade: ``/v1/processruns…`` and ``/v1/requests`` onto native Baton.

A Solvexia *process run* is a native process instance; it is created through the native API
without starting it (``POST /process-instances`` with ``start: false``) and started here. Its ids
and statuses are in :mod:`api.compat.solvexia.terms` (and ``docs/compat-solvexia.md``); what is
read is in ``reading``, the answers and their schemas in ``shapes``.

Every endpoint maps onto one native command or query; statuses are Solvexia's names for native
states. The same routes also answer under ``/api/v1/…`` (Solvexia's base URL ends in ``/api``)
and ``/v1/processRuns/{id}/runstatus`` (the spelling of Solvexia's heading). Errors are Baton's
``application/problem+json`` with Solvexia's ``message`` and ``supportId`` members added.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from typing import Any

import flask
from flask import Response, g
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields, validate
from werkzeug.exceptions import HTTPException

from api import problems
from api.compat.solvexia import reading, shapes
from api.compat.solvexia.shapes import (
    SolvexiaRunSchema,
    SolvexiaRunStatusSchema,
    SolvexiaStepRunStatusSchema,
    SolvexiaStepSchema,
)
from api.compat.solvexia.terms import RUN_ID_POINTER, parse_run_id
from api.context import baton
from api.schemas.common import RequiredText
from engine.commands.modification import restart_from
from engine.commands.process_instances import cancel_process_instance, start_process_instance
from engine.errors import EngineError

log = logging.getLogger(__name__)

blp = Blueprint(
    "solvexia",
    __name__,
    description="Solvexia process runs facade: get, start, cancel runs; their status and steps; restart a step.",
)

REQUESTS = {"ProcessRun_StartRq": "start", "ProcessRun_CancelRq": "cancel", "startRun": "start", "cancelRun": "cancel"}


# --- arguments ---------------------------------------------------------------------------------


class SolvexiaRequestSchema(Schema):
    """Process Run Request (deprecated)."""

    class Meta:
        unknown = RAISE

    request = fields.String(required=True, validate=validate.OneOf(list(REQUESTS)))
    processRunId = RequiredText(64)


# --- commands ----------------------------------------------------------------------------------


def _worker() -> str:
    return g.get("api_key") or "solvexia"


def _status_of(text: str, pointer: str = RUN_ID_POINTER) -> dict[str, Any]:
    instance, start_pending = reading.run_with_start_pending(text, pointer)
    return shapes.run_status(instance, start_pending, baton().db.clock.now())


def _start(text: str, pointer: str = RUN_ID_POINTER) -> dict[str, Any]:
    day, number = parse_run_id(text, pointer)
    baton().run(start_process_instance, day, number, worker_id=_worker())
    return _status_of(text, pointer)


def _cancel(text: str, pointer: str = RUN_ID_POINTER) -> dict[str, Any]:
    context = baton()
    day, number = parse_run_id(text, pointer)
    worker = _worker()
    context.run(cancel_process_instance, day, number, worker, None, context.policy, worker_id=worker)
    return _status_of(text, pointer)


# --- errors ------------------------------------------------------------------------------------


def _with_message(response: Response) -> Response:
    body = json.loads(response.get_data())
    body["message"] = body.get("detail") or body.get("title", "")
    body["supportId"] = str(uuid.uuid4())
    log.info("solvexia facade answered %s %s (supportId %s)", response.status_code, body["message"], body["supportId"])
    response.set_data(json.dumps(body))
    return response


@blp.errorhandler(EngineError)
def _engine_error(exc: EngineError) -> Response:
    return _with_message(problems.from_engine_error(exc))


@blp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> Response:
    return _with_message(problems.from_http_exception(exc))


# --- endpoints ---------------------------------------------------------------------------------


def route(rule: str, methods: list[str], *aliases: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A documented route, also answering (undocumented) under ``/api`` and the given aliases."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        blp.route(rule, methods=methods)(view)
        for number, alias in enumerate([f"/api{rule}", *aliases, *(f"/api{a}" for a in aliases)]):
            flask.Blueprint.add_url_rule(blp, alias, f"{view.__name__}-alias-{number}", view, methods=methods)
        return view

    return decorator


RUN = "/v1/processruns/<process_run_id>"


@route(RUN, ["GET"])
@blp.response(200, SolvexiaRunSchema)
def get_run(process_run_id: str) -> dict[str, Any]:
    """A process run: ``name``, ``description``, ``alertEmailAddress``, ``alertSMS`` are the
    instance's tags of these names (the name defaults to ``<process name> : run #<id>``)."""
    return shapes.process_run(*reading.run_with_process_name(process_run_id))


@route(f"{RUN}/start", ["POST"])
@blp.response(200, SolvexiaRunStatusSchema)
def start_run(process_run_id: str) -> dict[str, Any]:
    """Start a run created without starting (native ``start: false``): ``Scheduled`` until a
    worker has started it. A run that has already started is a 409."""
    return _start(process_run_id)


@route(f"{RUN}/cancel", ["POST"])
@blp.response(200, SolvexiaRunStatusSchema)
def cancel_run(process_run_id: str) -> dict[str, Any]:
    """Cancel a run (native cancel: its jobs, tasks and user tasks end too); ``Cancelled``. A run
    that has already finished is a 409."""
    return _cancel(process_run_id)


@route("/v1/requests", ["POST"])
@blp.arguments(SolvexiaRequestSchema)
@blp.response(200, SolvexiaRunStatusSchema)
def run_request(data: dict[str, Any]) -> dict[str, Any]:
    """[Deprecated] ``ProcessRun_StartRq`` / ``ProcessRun_CancelRq`` (also ``startRun`` /
    ``cancelRun``) for ``processRunId``: the same as ``…/start`` and ``…/cancel``."""
    action = _start if REQUESTS[data["request"]] == "start" else _cancel
    return action(data["processRunId"], "#/processRunId")


@route(f"{RUN}/runstatus", ["GET"], "/v1/processRuns/<process_run_id>/runstatus")
@blp.response(200, SolvexiaRunStatusSchema)
def run_status(process_run_id: str) -> dict[str, Any]:
    """Status, start, finish and duration (seconds; to now while running) of a run."""
    return _status_of(process_run_id)


@route(f"{RUN}/steps", ["GET"])
@blp.response(200, SolvexiaStepSchema(many=True))
def steps(process_run_id: str) -> list[dict[str, Any]]:
    """The steps of a run: every activity of its process in model order (``stepOrder``)."""
    return shapes.steps(reading.steps(process_run_id))


@route(f"{RUN}/steps/<step_id>/runstatus", ["GET"])
@blp.response(200, SolvexiaStepRunStatusSchema)
def step_status(process_run_id: str, step_id: str) -> dict[str, Any]:
    """Status of a step in a run: of the latest time a token reached the activity."""
    instance, element, step = reading.step_of_run(process_run_id, step_id)
    return shapes.step_status(instance, element, step, baton().db.clock.now())


@route(f"{RUN}/steps/<step_id>/restartfromhere", ["POST"])
@blp.response(200, SolvexiaStepRunStatusSchema)
def restart_from_here(process_run_id: str, step_id: str) -> dict[str, Any]:
    """Restart a run from a step (native process instance modification): every active token is
    cut off and one starts at the step; a finished or cancelled run is reopened. A run that has
    not started yet is a 409."""
    context = baton()
    instance, element = reading.run_and_step(process_run_id, step_id)
    worker = _worker()
    context.run(
        restart_from,
        instance.partition,
        instance.id,
        element.bpmn_element_id,
        worker,
        context.policy,
        (),
        worker_id=worker,
    )
    restarted, step = reading.step_runs(process_run_id, element)
    return shapes.step_status(restarted, element, step, context.db.clock.now())
