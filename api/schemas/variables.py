"""Schemas of variables and the engine time."""

from __future__ import annotations

from marshmallow import fields, validate

from api.schemas.common import (
    MAX_ITEMS,
    BaseSchema,
    Id,
    Partition,
    RequiredText,
    Text,
    Timestamp,
    UtcDateTime,
    Variables,
    results_schema,
)


class SetVariablesSchema(BaseSchema):
    """``PUT …/variables``: set or delete (no data) variables."""

    variables = Variables(required=True)
    worker_id = RequiredText(255)


class VariableCriteriaSchema(BaseSchema):
    """``POST /variables/query``."""

    partition = Partition()
    process_instance_id = Id()
    element_instance_id = Id()
    names = fields.List(Text(255), validate=validate.Length(max=MAX_ITEMS))


class VariableSchema(BaseSchema):
    """A variable's metadata."""

    partition = Partition()
    id = fields.Integer()
    element_id = fields.Integer()
    element_instance_id = fields.Integer()
    process_id = fields.Integer()
    process_instance_id = fields.Integer()
    name = fields.String()
    encoding = fields.String()
    encrypted = fields.Boolean()
    size = fields.Integer()
    created_at = Timestamp()
    created_by = fields.String()
    updated_at = Timestamp()
    updated_by = fields.String()


class SetTimeSchema(BaseSchema):
    """``PATCH /time``: exactly one of the three."""

    time = UtcDateTime(format="iso", default_timezone=None)
    time_cycle = Text(255)
    time_duration = Text(255)


class TimeSchema(BaseSchema):
    """The engine time."""

    time = Timestamp()


class ReadinessSchema(BaseSchema):
    """What readiness found: ``ready``, or ``degraded`` while only the broker is unreachable;
    ``broker`` is ``none`` for an API configured without one."""

    status = fields.String(validate=validate.OneOf(["ready", "degraded"]))
    database = fields.String(validate=validate.OneOf(["up"]))
    broker = fields.String(validate=validate.OneOf(["up", "unreachable", "none"]))


VariableResults = results_schema(VariableSchema, "VariableResults")
