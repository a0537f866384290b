"""Schemas of the cache of parsed process graphs."""

from __future__ import annotations

from api.schemas.common import BaseSchema, Text


class ForgetProcessesSchema(BaseSchema):
    """``POST /process-cache/forget``."""

    bpmn_process_id = Text(255, metadata={"description": "every version of this process; all processes when omitted"})
