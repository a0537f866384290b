"""Reading attachments: the files kept with a process instance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from engine.errors import not_found
from engine.store import tables
from engine.store.attachments import METADATA_COLUMNS

a = tables.attachment
pi = tables.process_instance


@dataclass(frozen=True)
class Attachment:
    """A file kept with a process instance (without its content)."""

    partition: date
    id: int
    process_instance_id: int
    name: str
    content_type: str
    size: int
    sha256: str
    created_at: datetime
    created_by: str


def _to_attachment(row: sa.Row) -> Attachment:
    return Attachment(
        partition=row.partition,
        id=row.id,
        process_instance_id=row.process_instance_id,
        name=row.name,
        content_type=row.content_type,
        size=row.size,
        sha256=row.sha256,
        created_at=row.created_at,
        created_by=row.created_by,
    )


def _require_instance(conn: sa.Connection, partition: date, instance_id: int, title: str) -> None:
    found = conn.execute(sa.select(pi.c.id).where(pi.c.partition == partition, pi.c.id == instance_id)).first()
    if found is None:
        raise not_found(title, f"process instance {partition.isoformat()}/{instance_id} could not be found")


def query_attachments(conn: sa.Connection, partition: date, instance_id: int) -> list[Attachment]:
    """Every attachment of an instance, by name; NOT_FOUND for an unknown instance."""
    _require_instance(conn, partition, instance_id, "failed to list attachments")
    rows = conn.execute(
        sa.select(*METADATA_COLUMNS)
        .where(a.c.partition == partition, a.c.process_instance_id == instance_id)
        .order_by(a.c.name)
    )
    return [_to_attachment(row) for row in rows]


def read_attachment(conn: sa.Connection, partition: date, instance_id: int, name: str) -> tuple[Attachment, bytes]:
    """One attachment with its content; NOT_FOUND for an unknown instance or name."""
    title = "failed to get attachment"
    row = conn.execute(
        sa.select(*METADATA_COLUMNS, a.c.content).where(
            a.c.partition == partition, a.c.process_instance_id == instance_id, a.c.name == name
        )
    ).one_or_none()
    if row is None:
        _require_instance(conn, partition, instance_id, title)
        raise not_found(
            title, f"process instance {partition.isoformat()}/{instance_id} has no attachment {name[:200]!r}"
        )
    return _to_attachment(row), bytes(row.content)
