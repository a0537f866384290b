"""Schemas of signals and signal subscriptions."""

from __future__ import annotations

from marshmallow import fields

from api.schemas.common import (
    BaseSchema,
    Id,
    Partition,
    RequiredText,
    Text,
    Timestamp,
    Variables,
    results_schema,
)


class SendSignalSchema(BaseSchema):
    """``POST /signals``."""

    name = RequiredText(255)
    variables = Variables(load_default=list)
    worker_id = RequiredText(255)


class SignalSchema(BaseSchema):
    """A sent signal."""

    id = fields.Integer()
    name = fields.String()
    created_at = Timestamp()
    created_by = fields.String()
    subscriber_count = fields.Integer()


class SignalSubscriptionSchema(BaseSchema):
    """An element instance waiting for a signal."""

    partition = Partition()
    id = fields.Integer()
    element_id = fields.Integer()
    element_instance_id = fields.Integer()
    process_id = fields.Integer()
    process_instance_id = fields.Integer()
    bpmn_element_id = fields.String()
    name = fields.String()
    created_at = Timestamp()
    created_by = fields.String()


class SignalSubscriptionCriteriaSchema(BaseSchema):
    """``POST /signals/subscriptions/query``."""

    partition = Partition()
    process_instance_id = Id()
    name = Text(255)


SignalSubscriptionResults = results_schema(SignalSubscriptionSchema, "SignalSubscriptionResults")
