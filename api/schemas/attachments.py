"""Schemas of attachments: files kept with a process instance."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from marshmallow import ValidationError, fields, validate

from api.schemas.common import BaseSchema, Partition, RequiredText, Text, Timestamp, results_schema
from engine.commands.attachments import DEFAULT_CONTENT_TYPE, MAX_CONTENT_TYPE_LENGTH, MAX_NAME_LENGTH

# Files one request may add (the instance limit applies as well).
MAX_FILES_PER_REQUEST = 1000


class Base64(fields.String):
    """Bytes on the wire as standard base64 (loads as ``bytes``)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bytes:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationError("must be standard base64") from None


class NewAttachmentSchema(BaseSchema):
    """One file to add."""

    name = RequiredText(
        MAX_NAME_LENGTH, metadata={"description": "relative path, / as separator; no . or .. components"}
    )
    content_type = Text(MAX_CONTENT_TYPE_LENGTH, load_default=DEFAULT_CONTENT_TYPE)
    content = Base64(required=True, metadata={"description": "the bytes, base64-encoded"})


class AddAttachmentsSchema(BaseSchema):
    """``POST /process-instances/{partition}/{id}/attachments``."""

    attachments = fields.List(
        fields.Nested(NewAttachmentSchema), required=True, validate=validate.Length(1, MAX_FILES_PER_REQUEST)
    )
    worker_id = RequiredText(255)


class AttachmentSchema(BaseSchema):
    """A file kept with a process instance (without its content)."""

    partition = Partition()
    id = fields.Integer()
    process_instance_id = fields.Integer()
    name = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    created_at = Timestamp()
    created_by = fields.String()


AttachmentResults = results_schema(AttachmentSchema, "AttachmentResults")
