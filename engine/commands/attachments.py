"""Attachments: files kept with a process instance (``POST /process-instances/{p}/{id}/attachments``).

An attachment is named by a relative path (``config/settings.json``) that is unique within its
instance. Names are checked so that a worker can write the file under a directory of its own
without escaping it: no absolute paths, no ``.`` or ``..`` components, no backslashes, no
control characters. Limits per instance (count and bytes) are enforced in the transaction that
adds files, with the instance row locked, so concurrent uploads cannot overshoot them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from engine.errors import EngineError, ErrorCause, ErrorKind, conflict
from engine.queries.attachments import Attachment, query_attachments
from engine.store import attachments as store
from engine.store import steps
from engine.store.db import Tx

MAX_NAME_LENGTH = 1024
MAX_CONTENT_TYPE_LENGTH = 255
DEFAULT_CONTENT_TYPE = "application/octet-stream"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DRIVE = re.compile(r"^[A-Za-z]:")
# A MIME type with optional parameters, printable ASCII only (it becomes a response header).
_CONTENT_TYPE = re.compile(r"[A-Za-z0-9.+-]+/[A-Za-z0-9.+-]+(;[ -~]*)?")


@dataclass(frozen=True)
class Limits:
    """What one process instance may hold."""

    max_files: int = 1000
    max_bytes: int = 50 * 1024 * 1024


@dataclass(frozen=True)
class NewAttachment:
    """A file to keep with an instance."""

    name: str
    content: bytes
    content_type: str = DEFAULT_CONTENT_TYPE


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot name an attachment, or None when it can."""
    if not name:
        return "must not be empty"
    if len(name) > MAX_NAME_LENGTH:
        return f"must be at most {MAX_NAME_LENGTH} characters"
    if _CONTROL.search(name):
        return "must not contain control characters"
    if "\\" in name:
        return "must use / as separator, not \\"
    if name.startswith("/") or _DRIVE.match(name):
        return "must be a relative path"
    parts = name.split("/")
    if any(part in (".", "..") for part in parts):
        return "must not contain . or .. components"
    if any(part == "" for part in parts):
        return "must not contain empty components (// or a trailing /)"
    return None


def check(files: Sequence[NewAttachment], pointer: str, limits: Limits) -> None:
    """Refuse invalid names and content types, duplicates (VALIDATION) and more files or bytes
    than one request may carry (LIMIT)."""
    causes: list[ErrorCause] = []
    seen: set[str] = set()
    for index, f in enumerate(files):
        problem = name_problem(f.name)
        if problem is not None:
            causes.append(ErrorCause(f"{pointer}/{index}/name", "attachment_name", problem, f.name[:200]))
        elif f.name in seen:
            causes.append(ErrorCause(f"{pointer}/{index}/name", "duplicate", "is given twice", f.name[:200]))
        seen.add(f.name)
        if len(f.content_type) > MAX_CONTENT_TYPE_LENGTH or not _CONTENT_TYPE.fullmatch(f.content_type):
            causes.append(
                ErrorCause(f"{pointer}/{index}/contentType", "content_type", "must be a MIME type like text/plain")
            )
    if causes:
        raise EngineError(ErrorKind.VALIDATION, "invalid attachments", "; ".join(c.detail for c in causes), causes)
    _check_limits(len(files), sum(len(f.content) for f in files), pointer, limits)


def _check_limits(count: int, size: int, pointer: str, limits: Limits, held: store.Usage | None = None) -> None:
    held = held or store.Usage(0, 0)
    if held.count + count > limits.max_files:
        raise EngineError(
            ErrorKind.LIMIT,
            "attachment limit exceeded",
            f"a process instance may hold at most {limits.max_files} attachments; "
            f"this would bring it to {held.count + count}",
            [ErrorCause(pointer, "max_files", f"at most {limits.max_files} attachments per process instance")],
        )
    if held.size + size > limits.max_bytes:
        raise EngineError(
            ErrorKind.LIMIT,
            "attachment limit exceeded",
            f"a process instance may hold at most {limits.max_bytes} bytes of attachments; "
            f"this would bring it to {held.size + size}",
            [ErrorCause(pointer, "max_bytes", f"at most {limits.max_bytes} bytes per process instance")],
        )


def add_attachments(
    tx: Tx,
    partition: date,
    instance_id: int,
    files: Sequence[NewAttachment],
    worker_id: str,
    limits: Limits = Limits(),
    pointer: str = "#/attachments",
) -> list[Attachment]:
    """Keep files with an instance that has not ended; returns their metadata.

    A name the instance has already is a CONFLICT; exceeding the instance's limits is a LIMIT
    error (HTTP 413). Either way nothing is written.
    """
    title = "failed to add attachments"
    check(files, pointer, limits)
    row = steps.lock_instance(tx, partition, instance_id, title=title)
    if row.ended_at is not None:
        raise conflict(title, f"process instance {partition.isoformat()}/{instance_id} has ended ({row.state})")
    taken = store.existing_names(tx.conn, partition, instance_id, [f.name for f in files])
    if taken:
        raise conflict(title, f"process instance {partition.isoformat()}/{instance_id} has {', '.join(taken)} already")
    _check_limits(
        len(files), sum(len(f.content) for f in files), pointer, limits, store.usage(tx.conn, partition, instance_id)
    )
    store.insert(
        tx.conn,
        partition,
        instance_id,
        [store.StoredFile(f.name, f.content_type, f.content, hashlib.sha256(f.content).hexdigest()) for f in files],
        tx.now,
        worker_id,
    )
    names = {f.name for f in files}
    return [found for found in query_attachments(tx.conn, partition, instance_id) if found.name in names]
