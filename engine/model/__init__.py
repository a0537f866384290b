"""The BPMN model: XML in, immutable process graphs out, with element-level errors.

Two functions make the contract with the rest of the engine:

- :func:`parse_definitions` reads a whole document. It raises for XML that is unsafe or
  malformed, and for any problem in an *executable* process (every cause at once). Processes
  that are not executable are returned as read, never validated: a collaboration may hold pools
  that only document a partner.
- :func:`validate_process` checks one process and returns its causes, including "not
  executable". The deploy command calls it for the process it is asked to deploy.

Deploying also compiles every expression of the model (``compile_expressions=True``, see
:mod:`engine.model.expressions`); loading a stored process does not, so a version deployed
before that check still loads, and its bad expressions still become incidents.

What is read from each BPMN dialect is described in :mod:`engine.model.extensions` and
:mod:`engine.model.events`; the structural rules in :mod:`engine.model.validation`; the XML
safety measures in :mod:`engine.model.document`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from engine.errors import ErrorCause
from engine.model.causes import model_error
from engine.model.document import DEFAULT_MAX_BYTES, load_document
from engine.model.elements import (
    ACTIVITIES,
    BOUNDARY_EVENTS,
    CATCH_EVENTS,
    JOB_TASKS,
    SCOPES,
    START_EVENTS,
    Assignment,
    Definitions,
    Element,
    ElementType,
    EventDefinition,
    EventKind,
    Mapping_,
    ProcessModel,
    SequenceFlow,
    Timer,
)
from engine.model.expressions import expression_causes
from engine.model.parser import read_definitions
from engine.model.validation import validate_process as _validate_process

__all__ = [  # noqa: RUF022 - grouped: functions, then the re-exported types
    "inspect_definitions",
    "parse_definitions",
    "validate_process",
    "ACTIVITIES",
    "BOUNDARY_EVENTS",
    "CATCH_EVENTS",
    "JOB_TASKS",
    "SCOPES",
    "START_EVENTS",
    "Assignment",
    "Definitions",
    "Inspection",
    "Element",
    "ElementType",
    "EventDefinition",
    "EventKind",
    "Mapping_",
    "ProcessModel",
    "SequenceFlow",
    "Timer",
]


@dataclass(frozen=True)
class Inspection:
    """A readable document with every problem found in it, nothing raised.

    ``causes`` are the document's own (duplicate ids, processes without id); ``process_causes``
    maps each process id to :func:`validate_process`'s causes plus, when compiled, its expression
    causes. A process that is not executable has the "not executable" cause among them.
    """

    definitions: Definitions
    causes: tuple[ErrorCause, ...]
    process_causes: Mapping[str, tuple[ErrorCause, ...]]


def inspect_definitions(
    xml: str | bytes, *, max_bytes: int = DEFAULT_MAX_BYTES, compile_expressions: bool = False
) -> Inspection:
    """Read a BPMN document and diagnose every process in it, raising only for unreadable XML.

    Raises :class:`~engine.errors.EngineError` (``PROCESS_MODEL``) for input larger than
    ``max_bytes``, empty or not well-formed XML, a DTD or a root other than ``definitions``.
    """
    root = load_document(xml, max_bytes=max_bytes)
    parsed = read_definitions(root)
    process_causes: dict[str, tuple[ErrorCause, ...]] = {}
    for process in parsed.processes:
        causes = validate_process(process)
        if compile_expressions:
            reported = frozenset(cause.pointer for cause in process.problems)
            causes.extend(expression_causes(process, reported=reported))
        process_causes[process.id] = tuple(causes)
    return Inspection(parsed.definitions, parsed.causes, process_causes)


def parse_definitions(
    xml: str | bytes, *, max_bytes: int = DEFAULT_MAX_BYTES, compile_expressions: bool = False
) -> Definitions:
    """Parse a BPMN document safely and validate every executable process in it.

    ``Definitions.processes`` holds every ``<process>`` of the document, executable or not
    (``process.process.is_executable`` tells which). Raises
    :class:`~engine.errors.EngineError` with kind ``PROCESS_MODEL``, listing every cause found:

    - for input larger than ``max_bytes``, empty or not well-formed XML (the cause names the
      line), a DTD or entity declaration, or a root element other than ``definitions``;
    - for duplicate ids anywhere in the document;
    - for unknown or unsupported elements, broken references and structural problems
      (:func:`validate_process`) in any executable process;
    - with ``compile_expressions``, for an expression of an executable process that does not
      compile (:func:`engine.model.expressions.expression_causes`).
    """
    inspection = inspect_definitions(xml, max_bytes=max_bytes, compile_expressions=compile_expressions)
    causes: list[ErrorCause] = list(inspection.causes)
    for process in inspection.definitions.processes:
        if process.process.is_executable:
            causes.extend(inspection.process_causes[process.id])
    if causes:
        raise model_error(causes)
    return inspection.definitions


def validate_process(process: ProcessModel) -> list[ErrorCause]:
    """Every reason why the engine cannot run this process; empty when it can.

    Includes "process X is not executable", and what the parser found wrong while reading the
    process (unsupported constructs, broken references), so a process that is not executable
    gets the same diagnosis as one that is. Call it for the process a deploy names: for an
    executable process of a document :func:`parse_definitions` accepted it returns nothing.
    """
    return _validate_process(process, refused_ids=process.refused_ids, problems=process.problems)
