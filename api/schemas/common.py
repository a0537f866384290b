"""Fields and schemas shared by every resource: camelCase keys, timestamps, partitions, ids,
tags, variables, timers, paging."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, post_dump, validate

from engine.queries.paging import MAX_LIMIT
from engine.queries.records import Tag
from engine.variables import MAX_NAME_LENGTH, NAME_PATTERN, VariableChange, VariableData

INT32_MAX = 2**31 - 1
MAX_ITEMS = 100
MAX_STRING = 1024
# Largest variable value accepted in one request body field (the body limit applies as well).
MAX_VALUE = 10 * 1024 * 1024


def camel(name: str) -> str:
    """snake_case -> camelCase."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


class BaseSchema(Schema):
    """camelCase on the wire, unknown fields refused, ``None`` left out of responses."""

    class Meta:
        unknown = RAISE
        ordered = True

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        if field_obj.data_key is None:
            field_obj.data_key = camel(field_name)

    @post_dump
    def _drop_none(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {key: value for key, value in data.items() if value is not None}


class UtcDateTime(fields.AwareDateTime):
    """An ISO 8601 date-time, converted to UTC when loaded.

    Python accepts offsets up to ±23:59 but PostgreSQL only up to ±15:59, so no offset may reach
    SQL: every loaded date-time is in UTC.
    """

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        return super()._deserialize(value, attr, data, **kwargs).astimezone(UTC)


class Timestamp(fields.DateTime):
    """ISO 8601 UTC with milliseconds and a ``Z``, like go-bpmn."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        loaded = super()._deserialize(value, attr, data, **kwargs)
        return loaded.astimezone(UTC) if loaded.tzinfo else loaded.replace(tzinfo=UTC)

    def _serialize(self, value: datetime | None, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        value = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
        # isoformat pads the year to four digits (strftime's %Y does not before 1000).
        return value.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def Id(**kwargs: Any) -> fields.Integer:
    """An int32 id (1 .. 2^31-1)."""
    return fields.Integer(strict=True, validate=validate.Range(1, INT32_MAX), **kwargs)


def Text(max_length: int = MAX_STRING, **kwargs: Any) -> fields.String:
    """A bounded string."""
    return fields.String(validate=validate.Length(max=max_length), **kwargs)


def RequiredText(max_length: int = MAX_STRING, **kwargs: Any) -> fields.String:
    """A required, non-empty, bounded string."""
    return fields.String(required=True, validate=validate.Length(min=1, max=max_length), **kwargs)


class Partition(fields.Date):
    """A partition: the date an instance was created (``2025-05-01``)."""


class TagSchema(BaseSchema):
    """A name/value tag."""

    name = RequiredText(255)
    value = Text(1024, required=True)


class Tags(fields.Field):
    """Tags as ``[{name, value}]`` (also accepted: ``{name: value}``); loads as a dict."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dict[str, str]:
        if isinstance(value, dict):
            items = [{"name": k, "value": v} for k, v in value.items()]
        elif isinstance(value, list):
            items = value
        else:
            raise ValidationError("must be a list of {name, value} objects")
        if len(items) > MAX_ITEMS:
            raise ValidationError(f"must contain at most {MAX_ITEMS} tags")
        loaded = TagSchema(many=True).load(items)
        return {item["name"]: item["value"] for item in loaded}

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> list[dict[str, str]] | None:
        if not value:
            return None
        return [{"name": t.name, "value": t.value} if isinstance(t, Tag) else t for t in value]


class DataSchema(BaseSchema):
    """A variable value: its encoding, the value as a string, and whether to encrypt it."""

    encoding = RequiredText(64)
    value = fields.String(required=True, validate=validate.Length(max=MAX_VALUE))
    encrypted = fields.Boolean(load_default=False)


class Variables(fields.Field):
    """Variables to set or delete: ``[{name, data}]`` or ``{name: data}``; no data deletes.

    Loads as a list of :class:`VariableChange`. At most 100 per request.
    """

    def __init__(self, max_items: int = MAX_ITEMS, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_items = max_items

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list[VariableChange]:
        if isinstance(value, dict):
            pairs = list(value.items())
        elif isinstance(value, list):
            pairs = []
            for index, item in enumerate(value):
                if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                    raise ValidationError({index: {"name": ["is required"]}})
                unknown = set(item) - {"name", "data", "bpmnElementId"}
                if unknown:
                    raise ValidationError({index: {key: ["unknown field"] for key in unknown}})
                pairs.append((item["name"], item.get("data")))
        else:
            raise ValidationError("must be a list of {name, data} objects or an object of name -> data")
        if len(pairs) > self.max_items:
            raise ValidationError(f"must contain at most {self.max_items} variables")
        errors: dict[str, Any] = {}
        changes: list[VariableChange] = []
        for name, raw in pairs:
            problems: dict[str, Any] = {}
            if not NAME_PATTERN.match(name) or len(name) > MAX_NAME_LENGTH:
                # go-bpmn's cause: type variable_name, the name as its value (go-bpmn's API document)
                problems["_schema"] = [TypedMessage(f"must match regex {NAME_PATTERN.pattern}", "variable_name", name)]
            loaded = None
            if raw is not None:
                try:
                    loaded = DataSchema().load(raw)
                except ValidationError as exc:
                    problems.update(exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages})
            if problems:
                errors[name] = problems
            elif loaded is None:
                changes.append(VariableChange(name, None))
            else:
                data = VariableData(loaded["encoding"], loaded["value"], loaded["encrypted"])
                changes.append(VariableChange(name, data))
        if errors:
            raise ValidationError(errors)
        return changes


class VariableOutSchema(BaseSchema):
    """A variable with its value."""

    name = fields.String()
    data = fields.Method("_data")

    def _data(self, obj: Any) -> dict[str, Any]:
        data = obj["data"]
        result = {"encoding": data.encoding, "value": data.value}
        if data.encrypted:
            result["encrypted"] = True
        return result


class VariablesResponse(BaseSchema):
    """``{count, variables}``."""

    count = fields.Integer()
    variables = fields.List(fields.Nested(VariableOutSchema))


class TimerSchema(BaseSchema):
    """A point in time, a duration from now, or a cycle (ISO 8601 repeating interval or CRON)."""

    time = UtcDateTime(format="iso", default_timezone=UTC)
    time_cycle = Text(255)
    time_duration = Text(255)


class TypedMessage(str):
    """A validation message that names its problem cause ``type`` and the offending ``value``
    (read by :func:`api.problems.causes_from_messages`); other messages get a type from their
    wording."""

    error_type: str
    value: str | None

    def __new__(cls, text: str, error_type: str, value: str | None = None) -> TypedMessage:
        message = super().__new__(cls, text)
        message.error_type = error_type
        message.value = value
        return message


class PageArgs(Schema):
    """``offset`` and ``limit`` query parameters."""

    class Meta:
        unknown = RAISE

    offset = fields.Integer(load_default=0, validate=validate.Range(0, INT32_MAX))
    limit = fields.Integer(
        load_default=MAX_LIMIT,
        validate=validate.Range(0, MAX_LIMIT),
        metadata={"description": f"at most {MAX_LIMIT}; 0 means {MAX_LIMIT}"},
    )


class CountedPageArgs(PageArgs):
    """``offset``, ``limit`` and ``total`` query parameters."""

    total = fields.Boolean(
        load_default=False,
        metadata={"description": "also answer `total`, the number of all matches whatever offset and limit"},
    )


def SortOrder() -> fields.String:
    """``sortOrder``: ``ASC`` (the default: oldest first) or ``DESC``."""
    return fields.String(
        validate=validate.OneOf(["ASC", "DESC"]), metadata={"description": "ASC (default: oldest first) or DESC"}
    )


def page_answer(results: Any, total: bool) -> dict[str, Any]:
    """``{count, results}`` of one page, with ``total`` when it was asked for."""
    answer: dict[str, Any] = {"count": len(results), "results": results}
    if total:
        answer["total"] = results.total
    return answer


class CountSchema(BaseSchema):
    """``{count}``."""

    count = fields.Integer()


def results_schema(item: type[Schema], name: str, counted: bool = False) -> type[Schema]:
    """A ``{count, results: [...]}`` response schema for query endpoints; ``counted`` adds
    ``total`` (answered with ``?total=true``)."""
    members: dict[str, Any] = {
        "count": fields.Integer(metadata={"description": "results on this page"}),
        "results": fields.List(fields.Nested(item)),
        "__doc__": f"Query results of {item.__name__.removesuffix('Schema')}.",
    }
    if counted:
        members["total"] = fields.Integer(metadata={"description": "all matches (only with ?total=true)"})
    return type(name, (BaseSchema,), members)
