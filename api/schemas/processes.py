"""Schemas of processes and elements."""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate

from api.problems import ErrorCauseSchema
from api.schemas.common import (
    MAX_ITEMS,
    BaseSchema,
    Id,
    RequiredText,
    Tags,
    Text,
    TimerSchema,
    Timestamp,
    results_schema,
)


class ErrorDefinitionSchema(BaseSchema):
    """The error code of an error event."""

    bpmn_element_id = RequiredText(255)
    error_code = Text(255)


class EscalationDefinitionSchema(BaseSchema):
    """The escalation code of an escalation event."""

    bpmn_element_id = RequiredText(255)
    escalation_code = Text(255)


class MessageDefinitionSchema(BaseSchema):
    """The message name of a message event."""

    bpmn_element_id = RequiredText(255)
    message_name = RequiredText(255)


class SignalDefinitionSchema(BaseSchema):
    """The signal name of a signal event."""

    bpmn_element_id = RequiredText(255)
    signal_name = RequiredText(255)


class TimerDefinitionSchema(BaseSchema):
    """The timer of a timer event."""

    bpmn_element_id = RequiredText(255)
    timer = fields.Nested(TimerSchema, required=True)


def _definitions(schema: type[BaseSchema]) -> fields.List:
    return fields.List(fields.Nested(schema), validate=validate.Length(max=MAX_ITEMS), load_default=list)


class CreateProcessSchema(BaseSchema):
    """``POST /processes``."""

    bpmn_process_id = RequiredText(255, metadata={"description": "ID of the process element within the BPMN XML."})
    bpmn_xml = fields.String(
        required=True,
        validate=validate.Length(min=1),
        metadata={"description": "The BPMN XML (at most BATON_MAX_BPMN_BYTES, default 5 MB)."},
    )
    version = RequiredText(255, metadata={"description": "Any process version."})
    worker_id = RequiredText(255)
    parallelism = fields.Integer(
        load_default=0,
        validate=validate.Range(0, 1_000_000),
        metadata={"description": "Maximum number of running instances; 0 = unlimited."},
    )
    tags = Tags(load_default=dict)
    errors = _definitions(ErrorDefinitionSchema)
    escalations = _definitions(EscalationDefinitionSchema)
    messages = _definitions(MessageDefinitionSchema)
    signals = _definitions(SignalDefinitionSchema)
    timers = _definitions(TimerDefinitionSchema)


class ProcessSchema(BaseSchema):
    """A deployed process version."""

    id = fields.Integer()
    bpmn_process_id = fields.String()
    bpmn_collaboration_id = fields.String()
    bpmn_participant_id = fields.String()
    bpmn_participant_name = fields.String()
    name = fields.String()
    created_at = Timestamp()
    created_by = fields.String()
    parallelism = fields.Integer()
    tags = Tags()
    version = fields.String()
    warnings = fields.Method(
        "_warnings",
        metadata={
            "description": "Only in the answer to a deploy, when not empty: what Baton read leniently "
            "(a missing isExecutable, a sequence flow without id, …), one cause each.",
            "type": "array",
            "items": {"$ref": "#/components/schemas/ErrorCause"},
        },
    )

    def _warnings(self, process: Any) -> list[dict[str, Any]] | None:
        warnings = getattr(process, "warnings", ())
        return [ErrorCauseSchema().dump(cause) for cause in warnings] or None


class ProcessCheckSchema(BaseSchema):
    """One process of a document checked by ``POST /processes?dryRun=true``."""

    bpmn_process_id = fields.String()
    executable = fields.Boolean()
    valid = fields.Boolean(metadata={"description": "Whether deploying it would succeed."})
    causes = fields.List(fields.Nested(ErrorCauseSchema), metadata={"description": "Why it would not deploy."})
    warnings = fields.List(fields.Nested(ErrorCauseSchema), metadata={"description": "What is read leniently."})


class DryRunArgs(BaseSchema):
    """``?dryRun=true``: validate the document and answer its causes and warnings; deploy nothing."""

    dry_run = fields.Boolean(load_default=False, data_key="dryRun")


class ProcessCriteriaSchema(BaseSchema):
    """``POST /processes/query``."""

    id = Id()
    bpmn_process_id = Text(255)
    version = Text(255)
    tags = Tags()


class ElementCriteriaSchema(BaseSchema):
    """``POST /elements/query``."""

    process_id = Id()
    bpmn_element_id = Text(255)


class ElementSchema(BaseSchema):
    """A BPMN element of a process."""

    id = fields.Integer()
    process_id = fields.Integer()
    bpmn_element_id = fields.String()
    bpmn_element_name = fields.String()
    bpmn_element_type = fields.String()
    parent_bpmn_element_id = fields.String()
    event_definition = fields.Dict()


ProcessResults = results_schema(ProcessSchema, "ProcessResults", counted=True)
ElementResults = results_schema(ElementSchema, "ElementResults")
