"""Processes (deployed BPMN process versions) and their elements: ``/processes``, ``/elements``."""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from client.queries import query, single
from client.wire import Results, body, record, records, results, tags_body

if TYPE_CHECKING:
    from client.transport import Transport

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)


@dataclass(frozen=True)
class Process:
    """A deployed version of one BPMN process."""

    id: int
    bpmn_process_id: str | None = None
    version: str | None = None
    name: str | None = None
    bpmn_collaboration_id: str | None = None
    bpmn_participant_id: str | None = None
    bpmn_participant_name: str | None = None
    parallelism: int | None = None
    tags: dict[str, str] = field(default_factory=dict)
    created_at: datetime | None = None
    created_by: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class Element:
    """A BPMN element of a deployed process."""

    id: int
    process_id: int | None = None
    bpmn_element_id: str | None = None
    bpmn_element_name: str | None = None
    bpmn_element_type: str | None = None
    parent_bpmn_element_id: str | None = None
    event_definition: dict[str, Any] | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


def read_bpmn(xml_or_path: str | bytes | os.PathLike[str]) -> str:
    """The XML text: ``xml_or_path`` itself when it is XML (starts with ``<``), else the file it names."""
    if isinstance(xml_or_path, bytes):
        return xml_or_path.decode("utf-8")
    if isinstance(xml_or_path, str) and xml_or_path.lstrip().startswith("<"):
        return xml_or_path
    return Path(xml_or_path).read_text(encoding="utf-8")


def executable_process_ids(xml: str | bytes) -> list[str]:
    """The ids of the executable processes (not ``isExecutable="false"``) of a BPMN document,
    in document order. A document with a DTD is refused (``ValueError``), like the server does."""
    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    if _DOCTYPE.search(data):
        raise ValueError("BPMN documents with a DTD (<!DOCTYPE …>) are refused")
    try:
        # No DTD (checked above), so no entity expansion; expat never fetches anything.
        root = ElementTree.fromstring(data)  # noqa: S314
    except ElementTree.ParseError as exc:
        raise ValueError(f"not well-formed XML: {exc}") from None
    return [
        element.attrib["id"]
        for element in root.iter()
        if element.tag in (f"{{{BPMN_NS}}}process", "process")  # go-bpmn models use no namespace
        # Absent means executable, as Camunda 7, Flowable and the server read it.
        and element.attrib.get("isExecutable", "true").strip().lower() in ("true", "1")
        and element.attrib.get("id")
    ]


class Processes:
    """Deploy BPMN processes and read them back."""

    def __init__(self, transport: Transport, worker_id: str) -> None:
        self._http = transport
        self._worker_id = worker_id

    def deploy(
        self,
        xml_or_path: str | bytes | os.PathLike[str],
        bpmn_process_id: str,
        version: str,
        tags: Mapping[str, str] | None = None,
        parallelism: int | None = None,
        definitions: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
        worker_id: str | None = None,
    ) -> Process:
        """Deploy one process of a BPMN document as ``version``.

        ``xml_or_path`` is the XML itself or the path of a ``.bpmn`` file. Deploying identical XML
        as an existing version again returns that process; different XML for an existing version
        raises :class:`~client.errors.Conflict`; an invalid model raises
        :class:`~client.errors.InvalidRequest` with one error per cause. ``definitions`` holds the
        optional ``errors``, ``escalations``, ``messages``, ``signals`` and ``timers`` lists of the
        wire format (definitions the model leaves open).
        """
        payload = body(
            bpmn_process_id=bpmn_process_id,
            bpmn_xml=read_bpmn(xml_or_path),
            version=version,
            worker_id=worker_id or self._worker_id,
            parallelism=parallelism,
            tags=tags_body(tags),
        )
        payload.update({key: list(value) for key, value in (definitions or {}).items()})
        # Idempotent: the same XML as the same version answers with the existing process.
        return record(Process, self._http.json("POST", "/processes", json=payload, idempotent=True))

    def deploy_file(
        self,
        path: str | os.PathLike[str],
        version: str,
        tags: Mapping[str, str] | None = None,
        worker_id: str | None = None,
    ) -> list[Process]:
        """Deploy every executable process of a BPMN file as ``version``; ``ValueError`` when the
        file has none."""
        xml = read_bpmn(Path(path))
        ids = executable_process_ids(xml)
        if not ids:
            raise ValueError(f'{path}: no executable process (<process isExecutable="true">)')
        return [self.deploy(xml, bpmn_process_id, version, tags=tags, worker_id=worker_id) for bpmn_process_id in ids]

    def query(
        self,
        id: int | None = None,
        bpmn_process_id: str | None = None,
        version: str | None = None,
        tags: Mapping[str, str] | None = None,
        offset: int = 0,
        limit: int | None = None,
        total: bool = False,
    ) -> Results[Process]:
        """Processes matching every given criterion.

        ``total=True`` also counts every match (the answer's ``.total``).
        """
        data = query(
            self._http,
            "/processes/query",
            id=id,
            bpmn_process_id=bpmn_process_id,
            version=version,
            tags=tags_body(tags),
            offset=offset,
            limit=limit,
            total=total,
        )
        return results(Process, data)

    def get(self, id: int) -> Process:
        """The process with an id (:class:`~client.errors.NotFound` when there is none)."""
        return single(self.query(id=id), "process", str(id))

    def bpmn_xml(self, id: int) -> str:
        """The BPMN XML the process was deployed from."""
        return self._http.request("GET", f"/processes/{int(id)}/bpmn-xml", idempotent=True).text

    def query_elements(
        self,
        process_id: int | None = None,
        bpmn_element_id: str | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> list[Element]:
        """BPMN elements of processes."""
        data = query(
            self._http,
            "/elements/query",
            process_id=process_id,
            bpmn_element_id=bpmn_element_id,
            offset=offset,
            limit=limit,
        )
        return records(Element, data.get("results"))
