"""Schemas of user tasks."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate

from api.schemas.common import (
    MAX_ITEMS,
    BaseSchema,
    Id,
    Partition,
    RequiredText,
    SortOrder,
    Tags,
    Text,
    Timestamp,
    Variables,
    results_schema,
)

STATES = ["STARTED", "COMPLETED", "CANCELED", "TERMINATED"]


class TagChanges(fields.Field):
    """Tags to set (``[{name, value}]``); a tag without a value is deleted."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dict[str, str | None]:
        items = [{"name": k, "value": v} for k, v in value.items()] if isinstance(value, dict) else value
        if not isinstance(items, list) or len(items) > MAX_ITEMS:
            raise ValidationError(f"must be a list of at most {MAX_ITEMS} {{name, value}} objects")
        result: dict[str, str | None] = {}
        for index, item in enumerate(items):
            if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"]:
                raise ValidationError({index: {"name": ["is required"]}})
            tag_value = item.get("value")
            if tag_value is not None and (not isinstance(tag_value, str) or len(tag_value) > 1024):
                raise ValidationError({index: {"value": ["must be a string of at most 1024 characters"]}})
            result[item["name"][:255]] = tag_value
        return result


class UpdateUserTaskSchema(BaseSchema):
    """``PATCH /user-tasks/{partition}/{id}``."""

    revision = fields.Integer(required=True, validate=validate.Range(1, 2**31 - 1))
    worker_id = RequiredText(255)
    completed = fields.Boolean(load_default=False)
    error_code = Text(255)
    escalation_code = Text(255)
    element_variables = Variables(load_default=list)
    process_variables = Variables(load_default=list)
    tags = TagChanges(load_default=dict)


class ClaimSchema(BaseSchema):
    """``PATCH /user-tasks/{partition}/{id}/claim``."""

    worker_id = RequiredText(255)
    user = RequiredText(255)


class AssignSchema(BaseSchema):
    """``PATCH /user-tasks/{partition}/{id}/assign``."""

    worker_id = RequiredText(255)
    assignee = Text(255, allow_none=True)
    candidate_users = fields.List(Text(255), validate=validate.Length(max=MAX_ITEMS))
    candidate_groups = fields.List(Text(255), validate=validate.Length(max=MAX_ITEMS))


class UserTaskSchema(BaseSchema):
    """A user task."""

    partition = Partition()
    id = fields.Integer()
    element_id = fields.Integer()
    element_instance_id = fields.Integer()
    process_id = fields.Integer()
    process_instance_id = fields.Integer()
    bpmn_element_id = fields.String()
    name = fields.String()
    correlation_key = fields.String()
    revision = fields.Integer()
    state = fields.String()
    tags = Tags()
    assignee = fields.String()
    candidate_users = fields.List(fields.String())
    candidate_groups = fields.List(fields.String())
    due_date = Timestamp()
    follow_up_date = Timestamp()
    priority = fields.Integer()
    created_at = Timestamp()
    created_by = fields.String()
    updated_at = Timestamp()
    updated_by = fields.String()
    ended_at = Timestamp()


class UserTaskCriteriaSchema(BaseSchema):
    """``POST /user-tasks/query``."""

    partition = Partition()
    id = Id()
    process_instance_id = Id()
    bpmn_element_id = Text(255)
    states = fields.List(fields.String(validate=validate.OneOf(STATES)), validate=validate.Length(max=len(STATES)))
    assignee = Text(255)
    candidate_user = Text(255)
    candidate_group = Text(255)
    candidate_groups = fields.List(Text(255), validate=validate.Length(max=MAX_ITEMS))
    unassigned = fields.Boolean()
    tags = Tags()
    sort_order = SortOrder()


UserTaskResults = results_schema(UserTaskSchema, "UserTaskResults", counted=True)
