"""The wire format (go-bpmn's): camelCase JSON to frozen dataclasses, timestamps, partitions,
tags and ``{partition}/{id}`` addresses."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any, Protocol, TypeVar, Union

T = TypeVar("T")


class Addressable(Protocol):
    """Anything with a partition and an id: a record such as a process instance or a job."""

    @property
    def partition(self) -> date:
        """The partition: the day the resource was created."""
        ...

    @property
    def id(self) -> int:
        """The id, unique within the partition."""
        ...


# A partitioned resource: a record, ``(partition, id)``, or the text ``"2025-05-01/12"``.
Address = Union[Addressable, tuple[date | str, int], str]  # noqa: UP007 - a runtime alias


def address(ref: Address) -> tuple[str, int]:
    """``(partition as YYYY-MM-DD, id)`` of a resource address."""
    if isinstance(ref, str):
        return parse_address(ref)
    if isinstance(ref, tuple):
        partition, id = ref
    else:
        partition, id = ref.partition, ref.id
    partition_text = partition.isoformat() if isinstance(partition, date) else str(partition)
    return partition_text, int(id)


def parse_address(text: str) -> tuple[str, int]:
    """``"2025-05-01/12"`` → ``("2025-05-01", 12)``; ``ValueError`` for anything else."""
    partition, sep, id_text = text.strip().partition("/")
    if not sep:
        raise ValueError(f"{text!r} is not PARTITION/ID (e.g. 2025-05-01/12)")
    try:
        date.fromisoformat(partition)
        id = int(id_text)
    except ValueError:
        raise ValueError(f"{text!r} is not PARTITION/ID (e.g. 2025-05-01/12)") from None
    return partition, id


def path_of(ref: Address) -> str:
    """``"2025-05-01/12"`` for use in a URL path."""
    partition, id = address(ref)
    return f"{partition}/{id}"


def camel(name: str) -> str:
    """snake_case → camelCase."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def parse_datetime(value: Any) -> datetime | None:
    """An ISO 8601 timestamp (``2025-05-01T17:44:19.997Z``) as an aware datetime."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))  # Python 3.11 reads the "Z" suffix itself


def parse_date(value: Any) -> date | None:
    """A partition (``2025-05-01``) as a date."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def parse_tags(value: Any) -> dict[str, str]:
    """Tags as a dict, from ``[{name, value}]`` (or already ``{name: value}``)."""
    if not value:
        return {}
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items()}
    return {str(item["name"]): str(item.get("value", "")) for item in value}


def tags_body(tags: Mapping[str, str] | None) -> list[dict[str, str]] | None:
    """Tags for a request body."""
    if tags is None:
        return None
    return [{"name": str(name), "value": str(value)} for name, value in tags.items()]


_FIELDS: dict[type, list[tuple[str, str, Callable[[Any], Any] | None]]] = {}


def _parser(name: str, annotation: Any) -> Callable[[Any], Any] | None:
    """How a JSON value becomes the value of a record field, from the field's annotation."""
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", str(annotation))
    if "datetime" in text:
        return parse_datetime
    if re.match(r"date\b", text):
        return parse_date
    if name == "tags":
        return parse_tags
    if text.startswith("tuple["):
        return lambda value: tuple(value or ())
    return None


def record(cls: type[T], data: Mapping[str, Any]) -> T:
    """Build the record dataclass ``cls`` from a JSON object (camelCase keys; ``datetime`` fields
    parsed from ISO 8601, ``date`` fields from partitions, ``tags`` from ``[{name, value}]``);
    keys it does not know stay in ``raw``."""
    specs = _FIELDS.get(cls)
    if specs is None:
        specs = [
            (f.name, camel(f.name), _parser(f.name, f.type))
            for f in dataclasses.fields(cls)  # type: ignore[arg-type]
            if f.init and f.name != "raw" and not f.name.startswith("_")
        ]
        _FIELDS[cls] = specs
    kwargs: dict[str, Any] = {}
    for name, key, parse in specs:
        if key in data:
            value = data[key]
            kwargs[name] = parse(value) if parse and value is not None else value
        elif name in ("partition", "id"):
            kwargs[name] = None
    return cls(**kwargs, raw=dict(data))  # type: ignore[call-arg]


def records(cls: type[T], items: Any) -> list[T]:
    """:func:`record` for each object of a JSON list."""
    return [record(cls, item) for item in items or []]


class Results(list[T]):
    """One page of query results. ``total`` is the number of all matches when the query asked for
    it (``total=True``), else ``None``."""

    total: int | None = None


def results(cls: type[T], data: Any) -> Results[T]:
    """The ``results`` of a query answer as records, with its ``total`` when it has one."""
    found: Results[T] = Results(record(cls, item) for item in (data or {}).get("results") or [])
    found.total = (data or {}).get("total")
    return found


def body(**fields: Any) -> dict[str, Any]:
    """A request body in camelCase, without the fields that are ``None``."""
    return {camel(key): value for key, value in fields.items() if value is not None}


def page(offset: int = 0, limit: int | None = None, total: bool = False) -> dict[str, Any]:
    """``?offset=&limit=`` of a query (the API's default limit is 1000, its maximum), and
    ``total=true`` to count every match."""
    return {"offset": offset or None, "limit": limit, "total": "true" if total else None}
