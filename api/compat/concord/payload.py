"""Reading a Concord payload archive safely: ``_main.json``, BPMN under ``processes/``, files.

The archive is untrusted input. It is read in memory, never extracted to disk, and refused
before anything is decompressed when it is too big, has too many entries, or declares sizes
that only a zip bomb has; entries are then read with a bound and their CRC checked (a header
that lies about its size is caught). Names must be relative paths without ``..``; symbolic
links, encrypted entries and duplicates are refused. Every refusal is an ``EngineError``: a
VALIDATION (400) naming the entry, or a LIMIT (413) naming the limit.
"""

from __future__ import annotations

import io
import json
import mimetypes
import stat
import zipfile
import zlib
from dataclasses import dataclass
from typing import Any

from engine.commands.attachments import DEFAULT_CONTENT_TYPE, NewAttachment, name_problem
from engine.commands.payloads import Definition, Payload
from engine.errors import EngineError, ErrorCause, ErrorKind

MAIN = "_main.json"
PROCESSES = "processes/"
# File names under processes/ that hold BPMN 2.0 definitions.
BPMN_SUFFIXES = (".bpmn", ".bpmn20.xml", ".xml")


@dataclass(frozen=True)
class Limits:
    """What one payload may be."""

    max_archive_bytes: int = 10 * 1024 * 1024
    max_total_bytes: int = 50 * 1024 * 1024  # uncompressed, all entries together
    max_entries: int = 1000
    # An entry this large may not be compressed more than max_ratio : 1 (zip bombs are ~1000:1).
    ratio_floor_bytes: int = 1024 * 1024
    max_ratio: int = 100
    max_main_bytes: int = 1024 * 1024
    max_entry_point: int = 255


def _pointer(name: str) -> str:
    return "#/archive/" + name.replace("~", "~0").replace("/", "~1")


def _bad(detail: str, name: str | None = None, type_: str = "archive") -> EngineError:
    pointer = _pointer(name) if name is not None else "#/archive"
    return EngineError(
        ErrorKind.VALIDATION,
        "invalid payload",
        detail,
        [ErrorCause(pointer, type_, detail, (name or "")[:200] or None)],
    )


def _too_big(detail: str, type_: str, name: str | None = None) -> EngineError:
    pointer = _pointer(name) if name is not None else "#/archive"
    return EngineError(ErrorKind.LIMIT, "payload too large", detail, [ErrorCause(pointer, type_, detail)])


def read_payload(data: bytes, limits: Limits = Limits()) -> Payload:
    """Check and read a payload archive (see the module docstring)."""
    if not data:
        raise _bad("the request body is empty; send the payload ZIP archive as application/octet-stream")
    if len(data) > limits.max_archive_bytes:
        raise _too_big(f"the archive may be at most {limits.max_archive_bytes} bytes, not {len(data)}", "max_bytes")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
        raise _bad(f"the body is not a readable ZIP archive ({exc})") from None
    if len(infos) > limits.max_entries:
        raise _too_big(f"the archive may hold at most {limits.max_entries} entries, not {len(infos)}", "max_entries")
    files = [info for info in infos if _checked(info, limits)]
    declared = sum(info.file_size for info in files)
    if declared > limits.max_total_bytes:
        raise _too_big(
            f"the archive may hold at most {limits.max_total_bytes} bytes uncompressed, not {declared}", "max_total"
        )
    _unique(infos)
    contents = {info.filename: _read(archive, info) for info in files}
    if MAIN not in contents:
        raise _bad(f"the archive has no {MAIN} at its root (it names the entryPoint)", MAIN, "required")
    entry_point, arguments = _main(contents.pop(MAIN), limits)
    definitions, attachments = [], []
    for name, content in contents.items():
        if name.startswith(PROCESSES):
            definitions.append(_definition(name, content))
        else:
            kind = mimetypes.guess_type(name)[0] or DEFAULT_CONTENT_TYPE
            attachments.append(NewAttachment(name, content, kind))
    return Payload(entry_point, arguments, definitions, attachments)


def _checked(info: zipfile.ZipInfo, limits: Limits) -> bool:
    """Refuse a dangerous entry; True for a file, False for a directory."""
    name = info.filename
    if info.flag_bits & 0x1:
        raise _bad(f"entry {name[:200]!r} is encrypted", name, "encrypted")
    if stat.S_ISLNK(info.external_attr >> 16):
        raise _bad(f"entry {name[:200]!r} is a symbolic link", name, "symlink")
    path = name[:-1] if info.is_dir() else name
    problem = name_problem(path)
    if problem is not None:
        raise _bad(f"entry name {name[:200]!r} {problem}", name, "entry_name")
    if info.is_dir():
        return False
    if info.file_size > limits.ratio_floor_bytes and info.file_size > limits.max_ratio * max(info.compress_size, 1):
        raise _too_big(
            f"entry {name[:200]!r} expands {info.compress_size} bytes to {info.file_size} "
            f"(more than {limits.max_ratio}:1, as zip bombs do)",
            "max_ratio",
            name,
        )
    return True


def _unique(infos: list[zipfile.ZipInfo]) -> None:
    seen: set[str] = set()
    for info in infos:
        key = info.filename.rstrip("/")
        if key in seen:
            raise _bad(f"entry {info.filename[:200]!r} appears twice", info.filename, "duplicate")
        seen.add(key)


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """An entry's bytes, at most its declared size, with its CRC checked."""
    try:
        with archive.open(info) as entry:
            content = entry.read(info.file_size + 1)
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, ValueError, OSError, EOFError, zlib.error) as exc:
        raise _bad(f"entry {info.filename[:200]!r} cannot be read ({exc})", info.filename) from None
    if len(content) != info.file_size or zlib.crc32(content) != info.CRC:
        raise _bad(f"entry {info.filename[:200]!r} is corrupt (size or CRC mismatch)", info.filename)
    return content


def _main(content: bytes, limits: Limits) -> tuple[str, dict[str, Any]]:
    """``entryPoint`` (mandatory) and ``arguments`` of ``_main.json``; other keys are ignored."""
    if len(content) > limits.max_main_bytes:
        raise _too_big(f"{MAIN} may be at most {limits.max_main_bytes} bytes", "max_bytes", MAIN)
    try:
        request = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise _bad(f"{MAIN} is not valid JSON ({exc})", MAIN, "json") from None
    if not isinstance(request, dict):
        raise _bad(f"{MAIN} must be a JSON object", MAIN, "type")
    entry_point = request.get("entryPoint")
    if not isinstance(entry_point, str) or not entry_point.strip():
        raise EngineError(
            ErrorKind.VALIDATION,
            "invalid payload",
            f"{MAIN} must name the process to start in entryPoint (only entryPoint is mandatory)",
            [ErrorCause("#/_main.json/entryPoint", "required", "is required: a non-empty string")],
        )
    if len(entry_point) > limits.max_entry_point:
        raise _bad(f"entryPoint may be at most {limits.max_entry_point} characters", MAIN, "max_length")
    arguments = request.get("arguments", {})
    if arguments is None:
        arguments = {}
    if not isinstance(arguments, dict):
        raise EngineError(
            ErrorKind.VALIDATION,
            "invalid payload",
            f"arguments in {MAIN} must be a JSON object",
            [ErrorCause("#/_main.json/arguments", "type", "must be a JSON object")],
        )
    return entry_point.strip(), arguments


def _definition(name: str, content: bytes) -> Definition:
    if not name.lower().endswith(BPMN_SUFFIXES):
        raise _bad(
            f"{name[:200]!r}: processes/ holds BPMN 2.0 definitions (.bpmn, .bpmn20.xml, .xml); "
            "Concord YAML flows and other files do not run on Baton",
            name,
            "definition",
        )
    try:
        return Definition(name, content.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise _bad(f"{name[:200]!r} is not UTF-8 text", name, "encoding") from None
