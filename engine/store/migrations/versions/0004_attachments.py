"""Attachments: files kept with a process instance, for job workers to download.

``attachment`` is partitioned like every other table of an instance, so partition upkeep
creates, detaches and drops its days together with theirs (``tables.PARTITIONED_TABLES``). The
days that exist already get their ``attachment`` partition and id sequence here; days created
later get them from ``partitions.create``.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Days whose tables are attached: they need an attachment partition. Detached and dropped days
# never take new rows (upkeep skips missing partitions when it detaches or drops).
_LIVE_STATES = ("CREATED", "DETACHING")


def _suffix(day: date) -> str:
    return day.strftime("%Y%m%d")


def _days(states: tuple[str, ...] | None) -> list[date]:
    table = sa.table("engine_partition", sa.column("partition", sa.Date), sa.column("state", sa.String))
    query = sa.select(table.c.partition).order_by(table.c.partition)
    if states is not None:
        query = query.where(table.c.state.in_(states))
    return [row[0] for row in op.get_bind().execute(query)]


def upgrade() -> None:
    op.create_table(
        "attachment",
        sa.Column("partition", sa.Date(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("process_instance_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("content_type", sa.String(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("partition", "id"),
        postgresql_partition_by="LIST (partition)",
    )
    op.create_index(
        "attachment_process_instance_name_idx",
        "attachment",
        ["partition", "process_instance_id", "name"],
        unique=True,
    )
    for day in _days(_LIVE_STATES):
        # Identifiers come from a date read from the database, never from user input.
        op.execute(f"CREATE SEQUENCE IF NOT EXISTS attachment_{_suffix(day)}_id_seq AS integer")
        op.execute(
            f"CREATE TABLE IF NOT EXISTS attachment_{_suffix(day)} PARTITION OF attachment "
            f"FOR VALUES IN ('{day.isoformat()}')"
        )


def downgrade() -> None:
    op.drop_index("attachment_process_instance_name_idx", table_name="attachment")
    op.drop_table("attachment")  # with its partitions
    for day in _days(None):
        op.execute(f"DROP SEQUENCE IF EXISTS attachment_{_suffix(day)}_id_seq")
