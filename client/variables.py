"""Variables at process instance and element instance scope, and their encoding.

On the wire a value is ``{"encoding": "json", "value": "<JSON text>"}`` (or another encoding,
e.g. ``text``, optionally ``encrypted``). This module encodes plain Python values as ``json`` and
decodes ``json`` (and ``text``) back; for anything else, pass or read :class:`VariableData`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from client.queries import query
from client.wire import Address, path_of, records

if TYPE_CHECKING:
    from client.transport import Transport


@dataclass(frozen=True)
class VariableData:
    """A value as the API holds it: its encoding, its text, and whether it is stored encrypted."""

    encoding: str
    value: str
    encrypted: bool = False

    @classmethod
    def json(cls, value: Any, encrypted: bool = False) -> VariableData:
        """A Python value as a ``json`` encoded variable."""
        return cls("json", json.dumps(value, separators=(",", ":"), default=_json_default), encrypted)

    @classmethod
    def text(cls, value: str, encrypted: bool = False) -> VariableData:
        """A string as a ``text`` encoded variable."""
        return cls("text", value, encrypted)

    def to_wire(self) -> dict[str, Any]:
        """``{encoding, value[, encrypted]}``."""
        data: dict[str, Any] = {"encoding": self.encoding, "value": self.value}
        if self.encrypted:
            data["encrypted"] = True
        return data

    def decode(self) -> Any:
        """The Python value of a ``json`` or ``text`` variable; this object for other encodings."""
        if self.encoding == "json":
            return json.loads(self.value)
        if self.encoding == "text":
            return self.value
        return self


class _Delete:
    """The marker that deletes a variable."""

    def __repr__(self) -> str:
        return "DELETE"


DELETE: Any = _Delete()
"""Pass as a variable's value to delete the variable (``None`` sets JSON ``null``)."""


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def encode_value(value: Any) -> dict[str, Any] | None:
    """A Python value as wire data: :class:`VariableData` as it is, :data:`DELETE` as no data,
    anything else as ``{"encoding": "json", "value": json.dumps(value)}``."""
    if value is DELETE:
        return None
    if isinstance(value, VariableData):
        return value.to_wire()
    return VariableData.json(value).to_wire()


def encode_variables(values: Mapping[str, Any] | None) -> list[dict[str, Any]] | None:
    """Variables for a request body: ``[{name, data}]`` (no ``data`` deletes)."""
    if values is None:
        return None
    result = []
    for name, value in values.items():
        data = encode_value(value)
        result.append({"name": name} if data is None else {"name": name, "data": data})
    return result


def variables_body(values: Mapping[str, Any] | None) -> list[dict[str, Any]] | None:
    """Variables for a request body that leaves them out (``None``) when there are none."""
    return encode_variables(values) if values else None


def decode_variables(items: Iterable[Mapping[str, Any]], decode: bool = True) -> dict[str, Any]:
    """``[{name, data}]`` of a response as ``{name: value}`` (decoded) or ``{name: VariableData}``."""
    result: dict[str, Any] = {}
    for item in items:
        raw = item.get("data") or {}
        data = VariableData(str(raw.get("encoding", "")), str(raw.get("value", "")), bool(raw.get("encrypted")))
        result[str(item["name"])] = data.decode() if decode else data
    return result


@dataclass(frozen=True)
class Variable:
    """Metadata of a stored variable (its value is read through the scope endpoints)."""

    partition: date
    id: int
    element_id: int | None = None
    element_instance_id: int | None = None
    process_id: int | None = None
    process_instance_id: int | None = None
    name: str | None = None
    encoding: str | None = None
    encrypted: bool | None = None
    size: int | None = None
    created_at: datetime | None = None
    created_by: str | None = None
    updated_at: datetime | None = None
    updated_by: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


class Variables:
    """``/process-instances/{p}/{id}/variables``, ``/element-instances/{p}/{id}/variables`` and
    ``/variables/query``."""

    def __init__(self, transport: Transport, worker_id: str) -> None:
        self._http = transport
        self._worker_id = worker_id

    def get_process(self, instance: Address, names: Iterable[str] | None = None, decode: bool = True) -> dict[str, Any]:
        """Variables of a process instance as ``{name: value}``; ``decode=False`` gives
        :class:`VariableData` values (e.g. for encodings other than json and text)."""
        data = self._http.json(
            "GET",
            f"/process-instances/{path_of(instance)}/variables",
            params={"names": ",".join(names) if names else None},
            idempotent=True,
        )
        return decode_variables(data.get("variables") or [], decode)

    def set_process(self, instance: Address, values: Mapping[str, Any], worker_id: str | None = None) -> None:
        """Set variables of an active process instance (:data:`DELETE` as a value deletes one)."""
        self._http.request(
            "PUT",
            f"/process-instances/{path_of(instance)}/variables",
            json={"variables": encode_variables(values), "workerId": worker_id or self._worker_id},
            idempotent=True,
        )

    def get_element(
        self,
        element_instance: Address,
        names: Iterable[str] | None = None,
        decode: bool = True,
        exclude_parents: bool = False,
    ) -> dict[str, Any]:
        """Variables of an element instance and of its enclosing element scopes (e.g. sub-processes;
        the innermost wins), or its own only with ``exclude_parents=True``. Process-scope variables
        are not included (read them with :meth:`get_process`)."""
        data = self._http.json(
            "GET",
            f"/element-instances/{path_of(element_instance)}/variables",
            params={"names": ",".join(names) if names else None, "excludeParents": "true" if exclude_parents else None},
            idempotent=True,
        )
        return decode_variables(data.get("variables") or [], decode)

    def set_element(self, element_instance: Address, values: Mapping[str, Any], worker_id: str | None = None) -> None:
        """Set variables of an active element instance (:data:`DELETE` as a value deletes one)."""
        self._http.request(
            "PUT",
            f"/element-instances/{path_of(element_instance)}/variables",
            json={"variables": encode_variables(values), "workerId": worker_id or self._worker_id},
            idempotent=True,
        )

    def query(
        self,
        partition: date | str | None = None,
        process_instance_id: int | None = None,
        element_instance_id: int | None = None,
        names: Iterable[str] | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> list[Variable]:
        """Variable metadata (name, encoding, size, who changed it when)."""
        data = query(
            self._http,
            "/variables/query",
            partition=partition,
            process_instance_id=process_instance_id,
            element_instance_id=element_instance_id,
            names=list(names) if names else None,
            offset=offset,
            limit=limit,
        )
        return records(Variable, data.get("results"))
