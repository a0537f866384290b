"""Turning untrusted BPMN text into an XML tree, safely.

The text comes from API callers, so the reader assumes it is hostile:

- the size is checked on the raw input, before any parsing;
- a document type declaration (DTD) is refused, whether internal or external. The prolog is
  scanned before libxml2 sees the text, and the parsed tree is checked again (for encodings
  the scan cannot read). libxml2 runs without entity substitution, DTD loading or network
  access, so an entity can neither read a file nor open a connection, and entity expansion
  attacks (billion laughs, quadratic blow-up) never expand;
- the parse is strict: a document that is not well-formed is refused with its line and column,
  never repaired by a "recover" parse;
- the root must be ``definitions`` in the BPMN MODEL namespace or in no namespace.
"""

from __future__ import annotations

import re

from lxml import etree

from engine.errors import EngineError
from engine.model.causes import document_error, line_pointer
from engine.model.nodes import Node, bpmn_tag

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
NO_DTD = "DTDs and entity declarations are not allowed"

_POSITION_SUFFIX = re.compile(r",? line \d+, column \d+\s*$")
_UTF16_MARKERS = (b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<")


def load_document(xml: str | bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Node:
    """Parse BPMN text into its ``<definitions>`` element, refusing anything unsafe or malformed.

    Raises :class:`~engine.errors.EngineError` (``PROCESS_MODEL``) with one ``xml`` cause.
    """
    data, text = _as_bytes(xml, max_bytes)
    if not data.strip():
        raise document_error("BPMN XML is empty")
    if _declares_dtd(text if text is not None else _prolog_text(data)):
        raise document_error(NO_DTD)
    root = _parse(data, from_text=text is not None)
    _refuse_dtd_and_entities(root)
    tag = bpmn_tag(root)
    if tag != "definitions":
        found = root.tag if isinstance(root.tag, str) else "?"
        raise document_error(
            f"The root element is {found}, but a BPMN document starts with <definitions> in the "
            f"BPMN MODEL namespace (http://www.omg.org/spec/BPMN/20100524/MODEL) or without one",
            value=found,
        )
    return root


def _as_bytes(xml: str | bytes, max_bytes: int) -> tuple[bytes, str | None]:
    """The raw bytes to parse and, for text input, the text itself; refuses oversize input."""
    too_large = f"BPMN XML is larger than {max_bytes} bytes"
    if isinstance(xml, str):
        # A character is at least one UTF-8 byte, so this refuses before encoding a huge text.
        if len(xml) > max_bytes:
            raise document_error(too_large)
        try:
            data = xml.encode("utf-8")
        except UnicodeEncodeError as error:
            raise document_error(f"BPMN XML is not valid Unicode text: {error.reason}") from None
        if len(data) > max_bytes:
            raise document_error(too_large)
        return data, xml
    if isinstance(xml, bytes | bytearray | memoryview):
        data = bytes(xml)
        if len(data) > max_bytes:
            raise document_error(too_large)
        return data, None
    raise TypeError(f"BPMN XML must be str or bytes, not {type(xml).__name__}")


def _prolog_text(data: bytes) -> str:
    """The input as text, good enough to scan the prolog's ASCII markup."""
    if data.startswith(_UTF16_MARKERS):
        big_endian = data.startswith((b"\xfe\xff", b"\x00<"))
        return data.decode("utf-16-be" if big_endian else "utf-16-le", errors="replace")
    # Every other encoding libxml2 reads by itself is ASCII-compatible for markup.
    return data.decode("latin-1")


def _declares_dtd(text: str) -> bool:
    """Whether a ``<!DOCTYPE`` follows the XML declaration, comments and PIs of the prolog.

    Only the prolog is scanned, so a ``<!DOCTYPE html>`` inside a script's CDATA is no problem.
    """
    position = 1 if text.startswith("\ufeff") else 0
    end = len(text)
    while position < end:
        if text[position] in " \t\r\n":
            position += 1
        elif text.startswith("<?", position):
            close = text.find("?>", position + 2)
            if close < 0:
                return False
            position = close + 2
        elif text.startswith("<!--", position):
            close = text.find("-->", position + 4)
            if close < 0:
                return False
            position = close + 3
        else:
            return text.startswith("<!DOCTYPE", position)
    return False


def _parser(from_text: bool) -> etree.XMLParser:
    return etree.XMLParser(
        # Text input was encoded to UTF-8 whatever its XML declaration says.
        encoding="utf-8" if from_text else None,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        recover=False,
    )


def _parse(data: bytes, *, from_text: bool) -> Node:
    try:
        return etree.fromstring(data, _parser(from_text))
    except etree.XMLSyntaxError as error:
        raise _syntax_error(error) from None
    except (etree.LxmlError, ValueError) as error:
        raise document_error(f"BPMN XML cannot be parsed: {error}") from None


def _syntax_error(error: etree.XMLSyntaxError) -> EngineError:
    line, column = error.position if error.position else (error.lineno, 0)
    message = _POSITION_SUFFIX.sub("", error.msg or "syntax error").strip()
    if "amplification" in message:  # only entity declarations can amplify
        return document_error(NO_DTD, line_pointer(line) if line else "#")
    where = f"line {line}, column {column}" if column else f"line {line}"
    detail = f"BPMN XML is not well-formed at {where}: {message}"
    return document_error(detail, line_pointer(line) if line else "#")


def _refuse_dtd_and_entities(root: Node) -> None:
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise document_error(NO_DTD)
    if any(isinstance(node, etree._Entity) for node in root.iter()):
        raise document_error(NO_DTD)
