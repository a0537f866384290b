"""Schemas of user tasks as people work them: worklist, completion as the assignee, and
assigning every open task of an instance."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from api.schemas.common import MAX_ITEMS, BaseSchema, Id, Partition, RequiredText, Text, Variables
from api.schemas.user_tasks import STATES


class WorklistSchema(BaseSchema):
    """``POST /user-tasks/worklist``."""

    user = Text(255, metadata={"description": "assignee, or one of the candidate users"})
    groups = fields.List(
        Text(255), validate=validate.Length(max=MAX_ITEMS), metadata={"description": "any of the candidate groups"}
    )
    partition = Partition()
    process_instance_id = Id()
    states = fields.List(
        fields.String(validate=validate.OneOf(STATES)),
        validate=validate.Length(max=len(STATES)),
        metadata={"description": "default: STARTED (open tasks)"},
    )

    @validates_schema
    def _someone(self, data: dict[str, Any], **_: Any) -> None:
        if not data.get("user") and not data.get("groups"):
            raise ValidationError("give a user, groups, or both", "user")


class CompleteAsSchema(BaseSchema):
    """``PATCH /user-tasks/{partition}/{id}/complete``."""

    worker_id = RequiredText(255)
    user = RequiredText(255, metadata={"description": "who completes the task; must be its assignee"})
    element_variables = Variables(load_default=list)
    process_variables = Variables(load_default=list)
