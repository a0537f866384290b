"""ONEWEB's terms for native things: instance and task ids (``YYYYMMDD-N``) and business objects
(one JSON variable per top-level key)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from api.schemas.common import INT32_MAX, camel
from engine.errors import EngineError, ErrorCause, ErrorKind, not_found
from engine.variables import MAX_NAME_LENGTH, NAME_PATTERN, VariableChange, VariableData

# `20250501-42`: a native partition date without dashes, then the native id.
ID_PATTERN = re.compile(r"^(\d{8})-(\d{1,10})$")


def parse_id(text: str, what: str) -> tuple[date, int]:
    """A native address from an ONEWEB id (``20250501-42``): malformed is a 400, an id that
    cannot exist a 404."""
    match = ID_PATTERN.match(text)
    day = None
    if match:
        try:
            day = datetime.strptime(match[1], "%Y%m%d").date()
        except ValueError:
            day = None
    if match is None or day is None:
        raise EngineError(
            ErrorKind.VALIDATION,
            f"invalid {what} id",
            f"{text!r} is not a {what} id like 20250501-42 (creation date, '-', number)",
            [ErrorCause(f"#/path/{camel(what.replace(' ', '_'))}Id", "pattern", "must be YYYYMMDD-N", text)],
        )
    number = int(match[2])
    if not 0 < number <= INT32_MAX:
        raise not_found(f"failed to find {what}", f"{what} {text} could not be found")
    return day, number


def format_id(partition: date, id: int) -> str:
    """The ONEWEB id of a partitioned native resource."""
    return f"{partition:%Y%m%d}-{id}"


def business_object(data: Mapping[str, Any], pointer: str) -> list[VariableChange]:
    """One JSON variable per top-level key (names as native variable names, 400 otherwise)."""
    causes = [
        ErrorCause(f"{pointer}/{name}", "variable_name", f"must match regex {NAME_PATTERN.pattern}", name)
        for name in data
        if not NAME_PATTERN.match(name) or len(name) > MAX_NAME_LENGTH
    ]
    if causes:
        raise EngineError(ErrorKind.VALIDATION, "invalid business object", "keys become variable names", causes)
    return [VariableChange(name, VariableData("json", json.dumps(value))) for name, value in data.items()]
