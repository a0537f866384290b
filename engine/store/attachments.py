"""Storage of attachments: files kept with a process instance, in the instance's partition."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from engine.store import partitions, tables

a = tables.attachment


@dataclass(frozen=True)
class StoredFile:
    """One file to write: its name (a relative path), content type and bytes."""

    name: str
    content_type: str
    content: bytes
    sha256: str


@dataclass(frozen=True)
class Usage:
    """How many attachments an instance holds, and how many bytes."""

    count: int
    size: int


def usage(conn: sa.Connection, partition: date, process_instance_id: int) -> Usage:
    """The attachments an instance holds now."""
    row = conn.execute(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(a.c.size), 0)).where(
            a.c.partition == partition, a.c.process_instance_id == process_instance_id
        )
    ).one()
    return Usage(int(row[0]), int(row[1]))


def existing_names(conn: sa.Connection, partition: date, process_instance_id: int, names: Sequence[str]) -> list[str]:
    """Which of ``names`` the instance has already."""
    if not names:
        return []
    rows = conn.execute(
        sa.select(a.c.name).where(
            a.c.partition == partition, a.c.process_instance_id == process_instance_id, a.c.name.in_(list(names))
        )
    )
    return sorted(row.name for row in rows)


def insert(
    conn: sa.Connection,
    partition: date,
    process_instance_id: int,
    files: Sequence[StoredFile],
    now: datetime,
    created_by: str,
) -> None:
    """Write files of an instance (ids from the partition's sequence), a few MB per statement
    so that a large upload is never one huge SQL text."""
    seq = partitions.sequence_name(a, partition)
    statement = sa.insert(a).values(id=sa.func.nextval(sa.cast(sa.literal(seq), postgresql.REGCLASS)))
    chunk: list[dict[str, object]] = []
    chunk_bytes = 0
    for f in files:
        chunk.append(
            {
                "partition": partition,
                "process_instance_id": process_instance_id,
                "name": f.name,
                "content_type": f.content_type,
                "size": len(f.content),
                "sha256": f.sha256,
                "content": f.content,
                "created_at": now,
                "created_by": created_by,
            }
        )
        chunk_bytes += len(f.content)
        if chunk_bytes >= _CHUNK_BYTES:
            conn.execute(statement, chunk)
            chunk, chunk_bytes = [], 0
    if chunk:
        conn.execute(statement, chunk)


# Bytes of file content sent per INSERT statement.
_CHUNK_BYTES = 4 * 1024 * 1024

# Every column but the content: what listings show.
METADATA_COLUMNS = (
    a.c.partition,
    a.c.id,
    a.c.process_instance_id,
    a.c.name,
    a.c.content_type,
    a.c.size,
    a.c.sha256,
    a.c.created_at,
    a.c.created_by,
)
