"""What the ONEWEB facade answers: its envelope, its task shape and variable values, and the
schemas that document them in ``/openapi.json``."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from marshmallow import Schema, fields

from api.compat.oneweb.terms import format_id
from api.context import baton
from api.schemas.common import Timestamp, camel
from engine.queries.records import UserTask
from engine.variables import VariableData


class _Shape(Schema):
    """ONEWEB's fixed shapes: camelCase keys, nulls kept."""

    class Meta:
        ordered = True

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        if field_obj.data_key is None:
            field_obj.data_key = camel(field_name)


class OnewebTaskSchema(_Shape):
    """A task (ONEWEB publishes no task shape; this is Baton's, over the native user task)."""

    task_id = fields.String(metadata={"description": "YYYYMMDD-N"})
    task_name = fields.String(allow_none=True)
    task_definition_key = fields.String(metadata={"description": "the BPMN element id"})
    instance_id = fields.String(metadata={"description": "YYYYMMDD-N"})
    process_name = fields.String(metadata={"description": "the BPMN process id"})
    state = fields.String(metadata={"description": "native user task state: STARTED, COMPLETED, CANCELED, TERMINATED"})
    assignee = fields.String(allow_none=True)
    candidate_users = fields.List(fields.String())
    candidate_groups = fields.List(fields.String())
    create_date = Timestamp()
    due_date = Timestamp(allow_none=True)
    follow_up_date = Timestamp(allow_none=True)
    priority = fields.Integer(allow_none=True)


def _envelope(name: str, data: fields.Field, doc: str) -> type[Schema]:
    return type(
        name,
        (_Shape,),
        {
            "data": data,
            "code": fields.Integer(metadata={"description": "0: success"}),
            "timestamp": fields.Integer(metadata={"description": "engine time, ms since the epoch"}),
            "total_record_count": fields.Integer(),
            "__doc__": doc,
        },
    )


InstanceEnvelope = _envelope("OnewebInstanceEnvelope", fields.String(), "``data``: the new instance id.")
DoneEnvelope = _envelope(
    "OnewebDoneEnvelope", fields.String(), '``data``: ""; ``totalRecordCount``: how many things changed.'
)
TasksEnvelope = _envelope("OnewebTasksEnvelope", fields.List(fields.Nested(OnewebTaskSchema)), "``data``: tasks.")
TaskIdsEnvelope = _envelope("OnewebTaskIdsEnvelope", fields.List(fields.String()), "``data``: the assigned task ids.")
VariablesEnvelope = _envelope("OnewebVariablesEnvelope", fields.Dict(), "``data``: variable name -> value.")


def envelope(data: Any, count: int = 1) -> dict[str, Any]:
    """ONEWEB's success envelope."""
    now = baton().db.clock.now()
    return {"data": data, "code": 0, "timestamp": int(now.timestamp() * 1000), "total_record_count": count}


def tasks(found: Iterable[UserTask], process_names: Mapping[int, str]) -> list[dict[str, Any]]:
    """Native user tasks in ONEWEB's task shape (``OnewebTaskSchema``)."""
    shaped = []
    for task in found:
        shaped.append(
            {
                "task_id": format_id(task.partition, task.id),
                "task_name": task.name,
                "task_definition_key": task.bpmn_element_id,
                "instance_id": format_id(task.partition, task.process_instance_id),
                "process_name": process_names[task.process_id],
                "state": task.state,
                "assignee": task.assignee,
                "candidate_users": task.candidate_users,
                "candidate_groups": task.candidate_groups,
                "create_date": task.created_at,
                "due_date": task.due_date,
                "follow_up_date": task.follow_up_date,
                "priority": task.priority,
            }
        )
    return shaped


def value(data: VariableData) -> Any:
    """A variable's value: JSON decoded, other encodings as their string."""
    if data.encoding == "json":
        try:
            return json.loads(data.value)
        except ValueError:
            return data.value
    return data.value
