"""``/processes`` and ``/elements``: deploy BPMN processes and read them back."""

from __future__ import annotations

import json
from typing import Any

from flask import Response
from flask_smorest import Blueprint

from api.context import baton
from api.routes.paths import process_id
from api.schemas.common import CountedPageArgs, PageArgs, camel, page_answer
from api.schemas.processes import (
    CreateProcessSchema,
    DryRunArgs,
    ElementCriteriaSchema,
    ElementResults,
    ProcessCheckSchema,
    ProcessCriteriaSchema,
    ProcessResults,
    ProcessSchema,
)
from engine.commands.processes import CreateProcess, check_document, create_process
from engine.queries.paging import Page
from engine.queries.processes import bpmn_xml, query_elements, query_processes

blp = Blueprint("processes", __name__, description="Deployed BPMN processes and their elements.")


@blp.route("/processes", methods=["POST"])
@blp.arguments(DryRunArgs, location="query", as_kwargs=True)
@blp.arguments(CreateProcessSchema)
@blp.response(201, ProcessSchema, description="Process created")
@blp.alt_response(
    200,
    schema=ProcessSchema,
    description="The same version with identical XML existed already; with `?dryRun=true`, a "
    "ProcessCheck (`bpmnProcessId`, `executable`, `valid`, `causes`, `warnings`) and nothing deployed",
)
def create(data: dict[str, Any], dry_run: bool) -> Response | tuple[Any, int]:
    """Deploy one process of a BPMN document as a new version.

    A message, signal or timer start event without a name or value in the model needs its
    definition here. Identical XML for an existing version returns the existing process (200);
    different XML is a 409 conflict. The answer's ``warnings`` say what was read leniently.

    With ``?dryRun=true`` nothing is deployed: the answer (200) says whether the process would
    deploy, with every cause and warning, checked as a deploy checks it except for what needs
    other deployed processes (a message start name in use elsewhere).
    """
    context = baton()
    if dry_run:
        [check] = check_document(
            data["bpmn_xml"],
            max_bpmn_bytes=context.settings.max_bpmn_bytes,
            bpmn_process_id=data["bpmn_process_id"],
            definitions={
                kind: [_wire(item) for item in data[kind]]
                for kind in ("errors", "escalations", "messages", "signals", "timers")
            },
        )
        # The deploy's schema does not apply: the check is answered as is.
        return Response(json.dumps(ProcessCheckSchema().dump(check)), status=200, mimetype="application/json")
    cmd = CreateProcess(
        bpmn_process_id=data["bpmn_process_id"],
        bpmn_xml=data["bpmn_xml"],
        version=data["version"],
        worker_id=data["worker_id"],
        parallelism=data["parallelism"],
        tags=data["tags"],
        definitions={
            kind: [_wire(item) for item in data[kind]]
            for kind in ("errors", "escalations", "messages", "signals", "timers")
        },
    )
    process, created = context.run(
        create_process, cmd, max_bpmn_bytes=context.settings.max_bpmn_bytes, worker_id=cmd.worker_id
    )
    return process, 201 if created else 200


def _wire(item: dict[str, Any]) -> dict[str, Any]:
    """A definition back in its wire form (camelCase keys; a timer's time as ISO text)."""
    wire: dict[str, Any] = {}
    for key, value in item.items():
        if key == "timer":
            value = {camel(k): (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in value.items()}
        wire[camel(key)] = value
    return wire


@blp.route("/processes/query", methods=["POST"])
@blp.arguments(CountedPageArgs, location="query", as_kwargs=True)
@blp.arguments(ProcessCriteriaSchema)
@blp.response(200, ProcessResults)
def query(criteria: dict[str, Any], offset: int, limit: int, total: bool) -> dict[str, Any]:
    """Query processes, oldest first (``?total=true`` adds ``total``, the number of all matches)."""
    with baton().db.engine.connect() as conn:
        results = query_processes(conn, page=Page(offset, limit, total), **criteria)
    return page_answer(results, total)


@blp.route("/processes/<int:id>/bpmn-xml", methods=["GET"])
@blp.response(200, description="The BPMN XML", content_type="text/xml")
def get_bpmn_xml(id: int) -> Response:
    """The BPMN XML a process was deployed from."""
    with baton().db.engine.connect() as conn:
        xml = bpmn_xml(conn, process_id(id))
    return Response(xml, mimetype="text/xml")


@blp.route("/elements/query", methods=["POST"])
@blp.arguments(PageArgs, location="query", as_kwargs=True)
@blp.arguments(ElementCriteriaSchema)
@blp.response(200, ElementResults)
def query_element(criteria: dict[str, Any], offset: int, limit: int) -> dict[str, Any]:
    """Query the BPMN elements of processes."""
    with baton().db.engine.connect() as conn:
        results = query_elements(conn, page=Page(offset, limit), **criteria)
    return {"count": len(results), "results": results}
