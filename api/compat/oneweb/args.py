"""The arguments of the ONEWEB facade: query strings and JSON bodies."""

from __future__ import annotations

from typing import Any

from marshmallow import INCLUDE, RAISE, Schema, ValidationError, fields, validate, validates_schema

from api.schemas.common import INT32_MAX, RequiredText, Text
from engine.queries.paging import MAX_LIMIT


class _Args(Schema):
    class Meta:
        unknown = RAISE


class OnewebStartSchema(_Args):
    """``POST /process/start``."""

    processName = RequiredText(255, metadata={"description": "the BPMN process id"})
    appName = Text(255, metadata={"description": "kept as the instance tag appName"})
    uniqueId = Text(255, metadata={"description": "kept as the instance's correlation key"})
    snapVersion = Text(255, metadata={"description": "the process version; the latest when omitted"})
    object = fields.Dict(keys=fields.String(), metadata={"description": "business object: one variable per key"})


class OnewebBusinessObjectSchema(Schema):
    """A business object: any JSON object; each top-level key becomes a JSON variable."""

    class Meta:
        unknown = INCLUDE


class OnewebUserArgs(_Args):
    """``?user=``."""

    user = RequiredText(255)


# Users per assign request: 25 names of up to 255 characters keep the request line within the
# HTTP server's 8 KB.
MAX_ASSIGN_USERS = 25


class OnewebUsersArgs(_Args):
    """``?user=a&user=b`` (at most 25 users)."""

    user = fields.List(RequiredText(255), required=True, validate=validate.Length(min=1, max=MAX_ASSIGN_USERS))


class OnewebTaskFilterArgs(_Args):
    """``?user=`` / ``?role=`` / ``?group=`` (any combination: tasks matching any of them)."""

    user = Text(255, metadata={"description": "assignee or candidate user"})
    role = Text(255, metadata={"description": "candidate group (Baton has no roles; see the docs)"})
    group = Text(255, metadata={"description": "candidate group"})
    offset = fields.Integer(load_default=0, validate=validate.Range(0, INT32_MAX))
    limit = fields.Integer(load_default=MAX_LIMIT, validate=validate.Range(1, MAX_LIMIT))

    @validates_schema
    def _someone(self, data: dict[str, Any], **_: Any) -> None:
        if not (data.get("user") or data.get("role") or data.get("group")):
            raise ValidationError("give user, role or group", "user")


class OnewebClassActionArgs(_Args):
    """``?processName=``."""

    processName = Text(255)


class OnewebClassActionSchema(_Args):
    """``{"processName": …}``."""

    processName = Text(255)
