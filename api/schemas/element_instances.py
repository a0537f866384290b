"""Schemas of element instances: the token tree of a process instance."""

from __future__ import annotations

from marshmallow import fields, validate

from api.schemas.common import BaseSchema, Id, Partition, Text, Timestamp, results_schema
from api.schemas.process_instances import STATES


class ElementInstanceSchema(BaseSchema):
    """An element instance."""

    partition = Partition()
    id = fields.Integer()
    parent_id = fields.Integer()
    prev_id = fields.Integer()
    prev_element_id = fields.Integer()
    element_id = fields.Integer()
    process_id = fields.Integer()
    process_instance_id = fields.Integer()
    bpmn_element_id = fields.String()
    bpmn_element_type = fields.String()
    created_at = Timestamp()
    created_by = fields.String()
    started_at = Timestamp()
    ended_at = Timestamp()
    state = fields.String()


class ElementInstanceCriteriaSchema(BaseSchema):
    """``POST /element-instances/query``."""

    partition = Partition()
    id = Id()
    parent_id = Id()
    process_id = Id()
    process_instance_id = Id()
    bpmn_element_id = Text(255)
    states = fields.List(fields.String(validate=validate.OneOf(STATES)), validate=validate.Length(max=len(STATES)))


ElementInstanceResults = results_schema(ElementInstanceSchema, "ElementInstanceResults")
