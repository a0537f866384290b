"""What the Solvexia facade answers: Process Run, Process Run Status, Data Steps and Step Run
Status, and the schemas that document them in ``/openapi.json``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from marshmallow import Schema, fields

from api.compat.solvexia.reading import StepRuns
from api.compat.solvexia.terms import RUN_STATUS, RUNNING_MESSAGE, STEP_STATUS, millis, run_id, seconds, ticks
from engine.queries.records import Element, ProcessInstance
from engine.states import InstanceState


class SolvexiaRunSchema(Schema):
    """Process Run."""

    class Meta:
        ordered = True

    id = fields.String(metadata={"description": "pr-YYYYMMDD-N"})
    name = fields.String()
    process = fields.String(metadata={"description": "p-N"})
    alertEmailAddress = fields.String()
    alertSMS = fields.String()
    description = fields.String()
    lastModifiedBy = fields.String()
    dateModified = fields.String()
    dateCreated = fields.String()


class SolvexiaRunStatusSchema(Schema):
    """Process Run Status (the duration under both names the Solvexia documents use)."""

    class Meta:
        ordered = True

    id = fields.String()
    dateStarted = fields.String(allow_none=True)
    dateFinished = fields.String(allow_none=True)
    runDurationInSeconds = fields.Integer(allow_none=True)
    runDurationInSec = fields.Integer(allow_none=True)
    status = fields.String(metadata={"description": "NotStarted Scheduled Running Finished Cancelled"})


class SolvexiaStepSchema(Schema):
    """Data Step: an activity of the run's process."""

    class Meta:
        ordered = True

    isEnabled = fields.Boolean()
    stepOrder = fields.String(metadata={"description": "1.k for the k-th activity, 1.k.j inside a sub-process"})
    id = fields.String(metadata={"description": "as-<BPMN element id>"})
    name = fields.String()


class SolvexiaStepRunStatusSchema(Schema):
    """Step Run Status (the duration under both names the Solvexia documents use)."""

    class Meta:
        ordered = True

    id = fields.String()
    dateFinished = fields.String(allow_none=True)
    dateStarted = fields.String(allow_none=True)
    runDurationInSec = fields.Integer(allow_none=True)
    runDurationInSeconds = fields.Integer(allow_none=True)
    status = fields.String(metadata={"description": "NotStarted Scheduled Running Success Failed Cancelled Skipped"})
    completionMessage = fields.String()


def process_run(instance: ProcessInstance, process_name: str | None) -> dict[str, Any]:
    """Solvexia's Process Run: name, description and alerts are the instance's tags of these
    names (the name defaults to ``<process name> : run #<id>``)."""
    tags = {tag.name: tag.value for tag in instance.tags}
    process_name = process_name or instance.bpmn_process_id
    modified = max(t for t in (instance.created_at, instance.started_at, instance.ended_at) if t is not None)
    return {
        "id": run_id(instance),
        "name": tags.get("name") or f"{process_name} : run #{instance.id}",
        "process": f"p-{instance.process_id}",
        "alertEmailAddress": tags.get("alertEmailAddress", ""),
        "alertSMS": tags.get("alertSMS", ""),
        "description": tags.get("description", ""),
        "lastModifiedBy": instance.ended_by or instance.created_by,
        "dateModified": ticks(modified),
        "dateCreated": ticks(instance.created_at),
    }


def run_status(instance: ProcessInstance, start_pending: bool, now: datetime) -> dict[str, Any]:
    """Solvexia's Process Run Status (the duration under both names Solvexia's page uses)."""
    status = RUN_STATUS.get(InstanceState(instance.state), "Running")
    if start_pending:
        status = "Scheduled"
    duration = seconds(instance.started_at, instance.ended_at, now)
    return {
        "id": run_id(instance),
        "dateStarted": millis(instance.started_at),
        "dateFinished": millis(instance.ended_at),
        "runDurationInSeconds": duration,
        "runDurationInSec": duration,
        "status": status,
    }


def step_status(instance: ProcessInstance, element: Element, step: StepRuns, now: datetime) -> dict[str, Any]:
    """Solvexia's Step Run Status, of the latest time a token reached the activity."""
    runs = step.runs
    answer: dict[str, Any] = {
        "id": f"as-{element.bpmn_element_id}",
        "dateFinished": None,
        "dateStarted": None,
        "runDurationInSec": None,
        "runDurationInSeconds": None,
        "status": "Skipped" if instance.state == InstanceState.COMPLETED else "NotStarted",
        "completionMessage": "",
    }
    if not runs:
        return answer
    latest = runs[-1]
    status = STEP_STATUS.get(InstanceState(latest.state), "Running")
    message = RUNNING_MESSAGE if status == "Running" else ""
    if latest.ended_at is None:
        open_incidents = step.open_incidents
        mine = [incident for incident in open_incidents if incident.element_instance_id == latest.id]
        if mine:
            status, message = "Failed", mine[-1].error or "the step has an open incident"
    started = latest.started_at or latest.created_at
    duration = seconds(started, latest.ended_at, now)
    answer.update(
        {
            "dateFinished": millis(latest.ended_at, "Z"),
            "dateStarted": millis(started, "Z"),
            "runDurationInSec": duration,
            "runDurationInSeconds": duration,
            "status": status,
            "completionMessage": message,
        }
    )
    return answer


def steps(ordered: list[tuple[str, Element]]) -> list[dict[str, Any]]:
    """Data Steps: every activity of a run's process in model order."""
    return [
        {
            "isEnabled": True,
            "stepOrder": order,
            "id": f"as-{element.bpmn_element_id}",
            "name": element.bpmn_element_name or element.bpmn_element_id,
        }
        for order, element in ordered
    ]
