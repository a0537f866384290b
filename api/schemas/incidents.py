"""Schemas of incidents: query, resolve."""

from __future__ import annotations

from marshmallow import fields

from api.schemas.common import (
    BaseSchema,
    Id,
    Partition,
    RequiredText,
    SortOrder,
    Text,
    Timestamp,
    results_schema,
)


class IncidentSchema(BaseSchema):
    """An incident."""

    partition = Partition()
    id = fields.Integer()
    element_id = fields.Integer()
    element_instance_id = fields.Integer()
    job_id = fields.Integer()
    task_id = fields.Integer()
    process_id = fields.Integer()
    process_instance_id = fields.Integer()
    bpmn_element_id = fields.String()
    error = fields.String()
    created_at = Timestamp()
    created_by = fields.String()
    resolved_at = Timestamp()
    resolved_by = fields.String()


class IncidentCriteriaSchema(BaseSchema):
    """``POST /incidents/query``."""

    partition = Partition()
    id = Id()
    job_id = Id()
    task_id = Id()
    process_instance_id = Id()
    resolved = fields.Boolean()
    sort_order = SortOrder()


class ResolveIncidentSchema(BaseSchema):
    """``PATCH /incidents/{partition}/{id}/resolve``."""

    retry_timer = Text(255)
    worker_id = RequiredText(255)


IncidentResults = results_schema(IncidentSchema, "IncidentResults", counted=True)
