"""Schemas of messages and message subscriptions."""

from __future__ import annotations

from marshmallow import fields

from api.schemas.common import (
    BaseSchema,
    Id,
    Partition,
    RequiredText,
    Text,
    TimerSchema,
    Timestamp,
    Variables,
    results_schema,
)


class SendMessageSchema(BaseSchema):
    """``POST /messages``."""

    name = RequiredText(255)
    correlation_key = RequiredText(255)
    unique_key = Text(255)
    expiration_timer = fields.Nested(TimerSchema, allow_none=True)
    variables = Variables(load_default=list)
    worker_id = RequiredText(255)


class MessageSchema(BaseSchema):
    """A message."""

    id = fields.Integer()
    name = fields.String()
    correlation_key = fields.String()
    unique_key = fields.String()
    created_at = Timestamp()
    created_by = fields.String()
    expires_at = Timestamp()
    correlated = fields.Boolean()


class MessageCriteriaSchema(BaseSchema):
    """``POST /messages/query``."""

    id = fields.Integer(strict=True)
    name = Text(255)
    correlation_key = Text(255)
    exclude_expired = fields.Boolean(load_default=False)


class MessageSubscriptionSchema(BaseSchema):
    """An element instance waiting for a message."""

    partition = Partition()
    id = fields.Integer()
    element_id = fields.Integer()
    element_instance_id = fields.Integer()
    process_id = fields.Integer()
    process_instance_id = fields.Integer()
    bpmn_element_id = fields.String()
    name = fields.String()
    correlation_key = fields.String()
    created_at = Timestamp()
    created_by = fields.String()


class MessageSubscriptionCriteriaSchema(BaseSchema):
    """``POST /messages/subscriptions/query``."""

    partition = Partition()
    process_instance_id = Id()
    name = Text(255)
    correlation_key = Text(255)


MessageResults = results_schema(MessageSchema, "MessageResults")
MessageSubscriptionResults = results_schema(MessageSubscriptionSchema, "MessageSubscriptionResults")
