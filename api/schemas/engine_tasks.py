"""Schemas of engine tasks: execute, unlock, query."""

from __future__ import annotations

from marshmallow import fields, validate

from api.schemas.common import (
    BaseSchema,
    Id,
    Partition,
    RequiredText,
    Timestamp,
    results_schema,
)
from engine.states import TaskKind, WorkState


class TaskSchema(BaseSchema):
    """An engine task."""

    partition = Partition()
    id = fields.Integer()
    element_id = fields.Integer()
    element_instance_id = fields.Integer()
    process_id = fields.Integer()
    process_instance_id = fields.Integer()
    bpmn_element_id = fields.String()
    completed_at = Timestamp()
    created_at = Timestamp()
    created_by = fields.String()
    due_at = Timestamp()
    error = fields.String()
    locked_at = Timestamp()
    locked_by = fields.String()
    retry_count = fields.Integer()
    serialized_task = fields.String()
    state = fields.String()
    type = fields.String()


TASK_TYPES = [str(t) for t in TaskKind]


class TaskCriteriaSchema(BaseSchema):
    """``POST /tasks/query``."""

    partition = Partition()
    id = Id()
    element_id = Id()
    element_instance_id = Id()
    process_id = Id()
    process_instance_id = Id()
    type = fields.String(validate=validate.OneOf(TASK_TYPES))
    states = fields.List(
        fields.String(validate=validate.OneOf([str(s) for s in WorkState])),
        validate=validate.Length(max=len(WorkState)),
    )


class ExecuteTasksSchema(BaseSchema):
    """``POST /tasks/execute``."""

    partition = Partition()
    id = Id()
    process_id = Id()
    process_instance_id = Id()
    type = fields.String(validate=validate.OneOf(TASK_TYPES))
    limit = fields.Integer(load_default=1, validate=validate.Range(1, 100))


class ExecutedTasksSchema(BaseSchema):
    """The outcome of ``POST /tasks/execute``."""

    locked = fields.Integer()
    completed = fields.Integer()
    failed = fields.Integer()
    completed_tasks = fields.List(fields.Nested(TaskSchema))
    failed_tasks = fields.List(fields.Nested(TaskSchema))


class UnlockTasksSchema(BaseSchema):
    """``POST /tasks/unlock``."""

    partition = Partition()
    id = Id()
    engine_id = RequiredText(255)


TaskResults = results_schema(TaskSchema, "TaskResults")
