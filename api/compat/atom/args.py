"""Arguments of the Atom facade: query strings and JSON bodies, with Atom's documented limits.

Unknown parameters are refused (400, one error per field), so a misspelt filter never silently
widens a query. Status and sort order are accepted in any letter case.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, pre_load, validate, validates_schema

from api.compat.atom.terms import BASE_STATUSES, ELEMENT_TYPE_NAMES, TYPED_STATUSES
from api.schemas.common import UtcDateTime

# Atom's documented limits.
MAX_PAGE_SIZE = 100
MAX_PAGE = 10_000
MAX_REASON = 500
SORT_BY = ("started_at", "updated_at", "status", "process_id")
PERIODS = ("1h", "24h", "7d", "30d", "all")


class _Args(Schema):
    class Meta:
        unknown = RAISE


def _upper(data: Any, *names: str) -> Any:
    data = {key: data[key] for key in data}
    for name in names:
        if isinstance(data.get(name), str):
            data[name] = data[name].upper()
    return data


class StartArgs(_Args):
    """``POST /api/v1/processes`` (and ``/typed``)."""

    process_id = fields.String(validate=validate.Length(1, 255), metadata={"description": "BPMN process id"})
    process_key = fields.String(validate=validate.Length(1, 255), metadata={"description": "alias of process_id"})
    variables = fields.Dict(keys=fields.String(), load_default=dict)
    version = fields.Raw(metadata={"description": "version to start (integer or string); the latest when omitted"})
    tenant_id = fields.String(validate=validate.Length(max=255))
    business_key = fields.String(validate=validate.Length(1, 255), metadata={"description": "the correlation key"})

    @validates_schema
    def _check(self, data: dict[str, Any], **_: Any) -> None:
        if not data.get("process_id") and not data.get("process_key"):
            raise ValidationError("is required", "process_id")
        version = data.get("version")
        if version is not None and not (
            (isinstance(version, int) and not isinstance(version, bool) and version > 0)
            or (isinstance(version, str) and 0 < len(version) <= 255)
        ):
            raise ValidationError("must be a positive integer or a version string", "version")


class ListArgs(_Args):
    """``GET /api/v1/processes``."""

    status = fields.String(validate=validate.OneOf(list(BASE_STATUSES)))
    process_id = fields.String(validate=validate.Length(1, 255))
    process_key = fields.String(validate=validate.Length(1, 255), metadata={"description": "alias of process_id"})
    tenant_id = fields.String(validate=validate.Length(max=255))
    started_after = UtcDateTime(format="iso", default_timezone=UTC)
    started_before = UtcDateTime(format="iso", default_timezone=UTC)
    page = fields.Integer(load_default=1, validate=validate.Range(1, MAX_PAGE))
    page_size = fields.Integer(
        load_default=20,
        validate=validate.Range(1, MAX_PAGE_SIZE, error=f"must be at least 1 and at most {MAX_PAGE_SIZE}"),
    )
    limit = fields.Integer(
        validate=validate.Range(1, MAX_PAGE_SIZE, error=f"must be at least 1 and at most {MAX_PAGE_SIZE}"),
        metadata={"description": "alias of page_size"},
    )
    sort_by = fields.String(load_default="started_at", validate=validate.OneOf(list(SORT_BY)))
    sort_order = fields.String(load_default="DESC", validate=validate.OneOf(["ASC", "DESC"]))

    @pre_load
    def _case(self, data: Any, **_: Any) -> Any:
        return _upper(data, "status", "sort_order")


class TypedListArgs(ListArgs):
    """``GET /api/v1/processes/typed``: the typed statuses as well."""

    status = fields.String(validate=validate.OneOf(list(TYPED_STATUSES)))


class StatsArgs(_Args):
    """``GET /api/v1/processes/stats``."""

    period = fields.String(load_default="all", validate=validate.OneOf(list(PERIODS)))
    process_id = fields.String(validate=validate.Length(1, 255))
    tenant_id = fields.String(validate=validate.Length(max=255))
    group_by = fields.String(
        validate=validate.OneOf(["process_id", "status", "tenant_id"]),
        metadata={"description": "accepted; every grouping is always answered"},
    )


class InfoArgs(_Args):
    """``GET /api/v1/processes/:id/info``."""

    include_history = fields.Boolean(load_default=True)
    include_variables = fields.Boolean(load_default=True)
    include_incidents = fields.Boolean(load_default=True)


class TokenArgs(_Args):
    """``GET /api/v1/processes/:id/tokens``."""

    state = fields.String(validate=validate.OneOf(["ACTIVE", "SUSPENDED", "COMPLETED", "CANCELLED"]))
    element_type = fields.String(validate=validate.OneOf(sorted(ELEMENT_TYPE_NAMES)))
    include_completed = fields.Boolean(load_default=True)

    @pre_load
    def _case(self, data: Any, **_: Any) -> Any:
        return _upper(data, "state")


class TraceArgs(_Args):
    """``GET /api/v1/processes/:id/tokens/trace``."""

    format = fields.String(load_default="detailed", validate=validate.OneOf(["detailed", "summary"]))
    include_variables = fields.Boolean(load_default=False)
    start_time = UtcDateTime(format="iso", default_timezone=UTC)
    end_time = UtcDateTime(format="iso", default_timezone=UTC)


class CancelArgs(_Args):
    """``DELETE /api/v1/processes/:id``."""

    reason = fields.String(validate=validate.Length(max=MAX_REASON))
