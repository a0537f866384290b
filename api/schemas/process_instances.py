"""Schemas of process instances: creating, reading, querying, waiting, the trace and statistics."""

from __future__ import annotations

from marshmallow import fields, validate

from api.schemas.common import (
    BaseSchema,
    Id,
    Partition,
    RequiredText,
    SortOrder,
    Tags,
    Text,
    Timestamp,
    UtcDateTime,
    Variables,
    results_schema,
)
from engine.states import InstanceState

STATES = [str(s) for s in InstanceState]
# Wire names of the orders of POST /process-instances/query (engine: SORT_KEYS).
SORT_BY = ["createdAt", "startedAt", "endedAt", "state", "bpmnProcessId"]


class CreateProcessInstanceSchema(BaseSchema):
    """``POST /process-instances``."""

    bpmn_process_id = RequiredText(255)
    version = Text(255, metadata={"description": "Version to start; the latest when omitted."})
    correlation_key = Text(255)
    tags = Tags(load_default=dict)
    variables = Variables(load_default=list)
    worker_id = RequiredText(255)
    start = fields.Boolean(
        load_default=True, metadata={"description": "false: create in state CREATED; start later with PATCH …/start"}
    )


class ProcessInstanceSchema(BaseSchema):
    """A process instance."""

    partition = Partition()
    id = fields.Integer()
    parent_id = fields.Integer()
    root_id = fields.Integer()
    process_id = fields.Integer()
    bpmn_process_id = fields.String()
    correlation_key = fields.String()
    created_at = Timestamp()
    created_by = fields.String()
    started_at = Timestamp()
    ended_at = Timestamp()
    ended_by = fields.String()
    end_reason = fields.String()
    state = fields.String()
    tags = Tags()
    version = fields.String()


class ProcessInstanceCriteriaSchema(BaseSchema):
    """``POST /process-instances/query``."""

    partition = Partition()
    id = Id()
    process_id = Id()
    bpmn_process_id = Text(255)
    correlation_key = Text(255)
    parent_id = Id()
    state = fields.String(validate=validate.OneOf(STATES))
    states = fields.List(fields.String(validate=validate.OneOf(STATES)), validate=validate.Length(max=len(STATES)))
    tags = Tags()
    started_after = UtcDateTime(
        format="iso", default_timezone=None, metadata={"description": "created at or after (as in /statistics)"}
    )
    started_before = UtcDateTime(
        format="iso", default_timezone=None, metadata={"description": "created before (as in /statistics)"}
    )
    sort_by = fields.String(
        validate=validate.OneOf(SORT_BY),
        metadata={"description": "createdAt (default: creation order), startedAt, endedAt, state or bpmnProcessId"},
    )
    sort_order = SortOrder()


class WorkerSchema(BaseSchema):
    """A command that only names its worker."""

    worker_id = RequiredText(255)


class CancelSchema(BaseSchema):
    """``PATCH /process-instances/{partition}/{id}/cancel``."""

    worker_id = RequiredText(255)
    reason = Text(4000)


ProcessInstanceResults = results_schema(ProcessInstanceSchema, "ProcessInstanceResults", counted=True)


class RestartSchema(BaseSchema):
    """``POST /process-instances/{partition}/{id}/restart``."""

    bpmn_element_id = RequiredText(255, metadata={"description": "The element a new token starts at."})
    variables = Variables(load_default=list)
    worker_id = RequiredText(255)


class WaitArgs(BaseSchema):
    """``GET …/wait`` query parameters."""

    timeout = fields.Integer(
        load_default=30_000,
        validate=validate.Range(0, 300_000),
        metadata={"description": "milliseconds to wait for a terminal state (at most 300000)"},
    )


class TraceEventSchema(BaseSchema):
    """One state change of an element instance."""

    id = fields.Integer()
    element_instance_id = fields.Integer()
    element_id = fields.Integer()
    bpmn_element_id = fields.String()
    bpmn_element_type = fields.String()
    state = fields.String()
    time = Timestamp()
    created_by = fields.String()


TraceResults = results_schema(TraceEventSchema, "TraceResults")


class ProcessStatisticsSchema(BaseSchema):
    """Instance counts of one BPMN process id by state."""

    bpmn_process_id = fields.String()
    states = fields.Dict(keys=fields.String(), values=fields.Integer())


class StatisticsSchema(BaseSchema):
    """Counts across the engine."""

    instances = fields.Dict(keys=fields.String(), values=fields.Integer())
    processes = fields.List(fields.Nested(ProcessStatisticsSchema))
    incidents_open = fields.Integer()
    jobs = fields.Dict(keys=fields.String(), values=fields.Integer())
    user_tasks_open = fields.Integer()
    processes_deployed = fields.Integer()


class StatisticsArgs(BaseSchema):
    """``GET /statistics`` query parameters."""

    bpmn_process_id = Text(255)
    started_after = UtcDateTime(format="iso", default_timezone=None)
    started_before = UtcDateTime(format="iso", default_timezone=None)
