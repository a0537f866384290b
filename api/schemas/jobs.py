"""Schemas of jobs: lock, complete, unlock, query."""

from __future__ import annotations

from marshmallow import fields, validate

from api.schemas.common import (
    MAX_ITEMS,
    BaseSchema,
    Id,
    Partition,
    RequiredText,
    SortOrder,
    Text,
    TimerSchema,
    Timestamp,
    Variables,
    results_schema,
)
from engine.commands.jobs import MAX_LOCK_DURATION_MS
from engine.states import JobKind, WorkState

# The longest a lock request may wait for a job (long polling).
MAX_LOCK_TIMEOUT_MS = 60_000


class LockJobsSchema(BaseSchema):
    """``POST /jobs/lock``."""

    partition = Partition()
    id = Id()
    process_ids = fields.List(Id(), validate=validate.Length(max=MAX_ITEMS))
    process_instance_id = Id()
    bpmn_element_ids = fields.List(Text(255), validate=validate.Length(max=MAX_ITEMS))
    types = fields.List(
        Text(255),
        validate=validate.Length(max=MAX_ITEMS),
        metadata={
            "description": "Job types to lock: the type from the model (zeebe:taskDefinition type, camunda:topic) "
            "or the job kind (EXECUTE, EVALUATE_EXCLUSIVE_GATEWAY, ...)."
        },
    )
    limit = fields.Integer(load_default=1, validate=validate.Range(1, 1000))
    lock_duration = fields.Integer(
        validate=validate.Range(1, MAX_LOCK_DURATION_MS),
        metadata={"description": "Milliseconds until an uncompleted lock expires (default BATON_JOB_LOCK_SECONDS)."},
    )
    timeout = fields.Integer(
        load_default=0,
        validate=validate.Range(0, MAX_LOCK_TIMEOUT_MS),
        metadata={"description": "Milliseconds to wait for a lockable job when none is due (long polling)."},
    )
    worker_id = RequiredText(255)


class CalledProcessSchema(BaseSchema):
    """The process a CALL_PROCESS job calls."""

    bpmn_process_id = RequiredText(255)
    version = Text(255)
    correlation_key = Text(255)
    tags = fields.Raw()
    variables = Variables(load_default=list)


class JobCompletionSchema(BaseSchema):
    """The completion of a job; which field applies depends on the job type."""

    called_process = fields.Nested(CalledProcessSchema)
    error_code = Text(255)
    escalation_code = Text(255)
    exclusive_gateway_decision = Text(255)
    inclusive_gateway_decision = fields.List(Text(255), validate=validate.Length(max=MAX_ITEMS))
    message_correlation_key = Text(255)
    message_name = Text(255)
    signal_name = Text(255)
    timer = fields.Nested(TimerSchema)


class CompleteJobSchema(BaseSchema):
    """``PATCH /jobs/{partition}/{id}/complete``."""

    completion = fields.Nested(JobCompletionSchema)
    element_variables = Variables(load_default=list)
    process_variables = Variables(load_default=list)
    error = Text(4000)
    retry_limit = fields.Integer(validate=validate.Range(0, 1000))
    retry_timer = Text(255)
    worker_id = RequiredText(255)


class UnlockJobsSchema(BaseSchema):
    """``POST /jobs/unlock``."""

    partition = Partition()
    id = Id()
    worker_id = RequiredText(255)


class JobSchema(BaseSchema):
    """A job."""

    partition = Partition()
    id = fields.Integer()
    element_id = fields.Integer()
    element_instance_id = fields.Integer()
    process_id = fields.Integer()
    process_instance_id = fields.Integer()
    bpmn_element_id = fields.String()
    bpmn_process_id = fields.String()
    completed_at = Timestamp()
    correlation_key = fields.String()
    created_at = Timestamp()
    created_by = fields.String()
    due_at = Timestamp()
    error = fields.String()
    job_type = fields.String()
    locked_at = Timestamp()
    locked_by = fields.String()
    lock_expires_at = Timestamp()
    retries = fields.Integer()
    retry_count = fields.Integer()
    state = fields.String()
    type = fields.String()


class LockedJobsSchema(BaseSchema):
    """``{count, jobs}``."""

    count = fields.Integer()
    jobs = fields.List(fields.Nested(JobSchema))


class JobCriteriaSchema(BaseSchema):
    """``POST /jobs/query``."""

    partition = Partition()
    id = Id()
    element_id = Id()
    element_instance_id = Id()
    process_id = Id()
    process_instance_id = Id()
    states = fields.List(
        fields.String(validate=validate.OneOf([str(s) for s in WorkState])),
        validate=validate.Length(max=len(WorkState)),
    )
    types = fields.List(Text(255), validate=validate.Length(max=MAX_ITEMS))
    sort_order = SortOrder()


JobResults = results_schema(JobSchema, "JobResults", counted=True)
JOB_KINDS = [str(k) for k in JobKind]
