"""How problems in a BPMN document are reported.

Every problem is an :class:`~engine.errors.ErrorCause`:

- ``pointer``: ``#/<processId>/<elementId>`` for an element or sequence flow (element ids are
  unique in a document, so the pointer does not spell the sub-process path; the detail does),
  ``#/<processId>`` for the process itself, ``#/<id>`` for a root element outside processes,
  ``#/line/<n>`` for XML syntax, ``#`` for the document as a whole;
- ``type``: one short word, see the constants below;
- ``detail``: a sentence naming the element id, its type, what is wrong, a hint where one helps,
  and the XML line.
"""

from __future__ import annotations

from collections.abc import Mapping

from engine.errors import EngineError, ErrorCause, ErrorKind
from engine.model.elements import Element, ElementType

XML = "xml"  # the document: size, syntax, DTDs, root element
ID = "id"  # missing or duplicate ids
PROCESS = "process"  # the process as a whole
ELEMENT = "element"  # a flow element
SEQUENCE_FLOW = "sequence_flow"
REFERENCE = "reference"  # a ref attribute that names nothing suitable
NOT_SUPPORTED = "not_supported"  # valid BPMN that Baton does not run
EXPRESSION = "expression"  # an expression that does not compile
LENIENCY = "leniency"  # a warning: something read the way the engine that wrote it reads it

DOCUMENT_TITLE = "Invalid BPMN XML"
MODEL_TITLE = "Invalid BPMN model"


def element_pointer(process_id: str, element_id: str) -> str:
    """The pointer of an element or sequence flow of a process."""
    return f"#/{process_id}/{element_id}"


def process_pointer(process_id: str) -> str:
    """The pointer of a process (or of a root element such as a message)."""
    return f"#/{process_id}"


def line_pointer(line: int) -> str:
    """The pointer of a line of the XML text."""
    return f"#/line/{line}"


def at_line(line: int | None) -> str:
    """`` (line 12)`` when the line is known, else nothing."""
    return f" (line {line})" if line else ""


def document_error(detail: str, pointer: str = "#", value: str | None = None) -> EngineError:
    """The error for a document that cannot be read at all (size, syntax, DTD, root)."""
    cause = ErrorCause(pointer=pointer, type=XML, detail=detail, value=value)
    return EngineError(ErrorKind.PROCESS_MODEL, DOCUMENT_TITLE, detail, [cause])


def model_error(causes: list[ErrorCause]) -> EngineError:
    """The error for a readable document whose processes are invalid, listing every cause."""
    count = len(causes)
    first = causes[0].detail
    if count == 1:
        detail = f"The BPMN model has 1 problem: {first}"
    else:
        detail = f"The BPMN model has {count} problems, the first: {first}"
    return EngineError(ErrorKind.PROCESS_MODEL, MODEL_TITLE, detail, list(causes))


def describe(element: Element, elements: Mapping[str, Element]) -> str:
    """``element X of type T``, with the path of sub-processes when the element is nested."""
    path: list[str] = []
    parent = elements.get(element.parent_id) if element.parent_id else None
    while parent is not None and parent.type is ElementType.SUB_PROCESS:
        path.append(parent.id)
        parent = elements.get(parent.parent_id) if parent.parent_id else None
    where = f" in sub-process {' > '.join(reversed(path))}" if path else ""
    return f"element {element.id} of type {element.type}{where}"
