"""SQLAlchemy Core tables: the authoritative state of the engine (DESIGN §2).

Global tables hold processes, their elements and definitions, messages, signals, API keys and
the engine time. Partitioned tables hold everything that belongs to a process instance, listed
by the instance's creation date (``partition``), so a whole day is dropped with one statement.
Ids inside a partition come from that partition's sequences (see ``partitions.py``).

The schema is created by the Alembic migrations in ``migrations/``; this module mirrors it for
queries and must change together with a new migration.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

metadata = sa.MetaData()

TS = sa.DateTime(timezone=True)


def _partitioned(name: str, *columns: sa.Column, indexes: tuple[sa.Index, ...] = ()) -> sa.Table:
    return sa.Table(
        name,
        metadata,
        sa.Column("partition", sa.Date, primary_key=True),
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        *columns,
        *indexes,
        postgresql_partition_by="LIST (partition)",
    )


# --- global tables ---------------------------------------------------------------------------

process = sa.Table(
    "process",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("bpmn_process_id", sa.String, nullable=False),
    sa.Column("version", sa.String, nullable=False),
    sa.Column("bpmn_xml", sa.Text, nullable=False),
    sa.Column("bpmn_xml_hash", sa.String(64), nullable=False),
    sa.Column("bpmn_collaboration_id", sa.String),
    sa.Column("bpmn_participant_id", sa.String),
    sa.Column("bpmn_participant_name", sa.String),
    sa.Column("name", sa.String),
    sa.Column("parallelism", sa.Integer, nullable=False, server_default="0"),
    sa.Column("tags", pg.JSONB),
    # Definitions given at creation (errors, escalations, messages, signals, timers), as sent.
    sa.Column("definitions", pg.JSONB),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("created_by", sa.String, nullable=False),
    sa.UniqueConstraint("bpmn_process_id", "version", name="process_bpmn_process_id_version_key"),
)

element = sa.Table(
    "element",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("process_id", sa.Integer, sa.ForeignKey("process.id"), nullable=False),
    sa.Column("bpmn_element_id", sa.String, nullable=False),
    sa.Column("bpmn_element_name", sa.String),
    sa.Column("bpmn_element_type", sa.String, nullable=False),
    sa.Column("parent_bpmn_element_id", sa.String),
    sa.Column("is_multi_instance", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Index("element_process_id_bpmn_element_id_idx", "process_id", "bpmn_element_id", unique=True),
)

# Event definitions of events whose name, code or timer the engine knows: from the model or
# from the definitions given when the process was created.
event_definition = sa.Table(
    "event_definition",
    metadata,
    sa.Column("element_id", sa.Integer, sa.ForeignKey("element.id"), primary_key=True),
    sa.Column("process_id", sa.Integer, sa.ForeignKey("process.id"), nullable=False),
    sa.Column("bpmn_process_id", sa.String, nullable=False),
    sa.Column("version", sa.String, nullable=False),
    sa.Column("bpmn_element_id", sa.String, nullable=False),
    sa.Column("bpmn_element_type", sa.String, nullable=False),
    # A start event definition of an older process version is suspended by a newer one.
    sa.Column("is_suspended", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("error_code", sa.String),
    sa.Column("escalation_code", sa.String),
    sa.Column("message_name", sa.String),
    sa.Column("signal_name", sa.String),
    # Timer values as written (ISO 8601, CRON, or an expression).
    sa.Column("time_date", sa.String),
    sa.Column("time_cycle", sa.String),
    sa.Column("time_duration", sa.String),
    sa.Index("event_definition_message_name_idx", "message_name"),
    sa.Index("event_definition_signal_name_idx", "signal_name"),
)

message = sa.Table(
    "message",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("correlation_key", sa.String, nullable=False),
    sa.Column("unique_key", sa.String),
    sa.Column("variables", pg.JSONB),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("created_by", sa.String, nullable=False),
    sa.Column("expires_at", TS),
    sa.Column("is_correlated", sa.Boolean, nullable=False, server_default=sa.false()),
    # A uniqueKey is taken while its message waits or its instance runs (go-bpmn).
    sa.Index(
        "message_unique_key_idx",
        "name",
        "correlation_key",
        "unique_key",
        unique=True,
        postgresql_where=sa.text("unique_key IS NOT NULL AND (NOT is_correlated OR expires_at IS NULL)"),
    ),
    sa.Index(
        "message_buffered_idx",
        "name",
        "correlation_key",
        postgresql_where=sa.text("NOT is_correlated"),
    ),
)

signal = sa.Table(
    "signal",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("variables", pg.JSONB),
    sa.Column("subscriber_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("created_by", sa.String, nullable=False),
)

api_key = sa.Table(
    "api_key",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String, nullable=False, unique=True),
    # SHA-256 of the secret, hex. The secret itself is never stored.
    sa.Column("secret_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("revoked_at", TS),
)

# One row: how far the engine time is ahead of the wall clock (PATCH /time).
engine_state = sa.Table(
    "engine_state",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("time_offset_ms", sa.BigInteger, nullable=False, server_default="0"),
    sa.CheckConstraint("id = 1", name="engine_state_single_row"),
)

# The partitions that exist, and how far their upkeep has come.
engine_partition = sa.Table(
    "engine_partition",
    metadata,
    sa.Column("partition", sa.Date, primary_key=True),
    # CREATED, DETACHING, DETACHED, DROPPED
    sa.Column("state", sa.String, nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("detached_at", TS),
    sa.Column("dropped_at", TS),
)

# Running and queued instance counts per BPMN process id, for `parallelism`.
process_queue = sa.Table(
    "process_queue",
    metadata,
    sa.Column("bpmn_process_id", sa.String, primary_key=True),
    sa.Column("active_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("queued_count", sa.Integer, nullable=False, server_default="0"),
)

# --- partitioned tables ----------------------------------------------------------------------

process_instance = _partitioned(
    "process_instance",
    sa.Column("parent_id", sa.Integer),
    sa.Column("root_id", sa.Integer),
    sa.Column("parent_element_instance_id", sa.Integer),
    sa.Column("process_id", sa.Integer, nullable=False),
    sa.Column("bpmn_process_id", sa.String, nullable=False),
    sa.Column("version", sa.String, nullable=False),
    sa.Column("correlation_key", sa.String),
    sa.Column("tags", pg.JSONB),
    sa.Column("message_id", sa.BigInteger),
    # The start event of an instance started by a message, signal or timer.
    sa.Column("start_event", sa.String),
    sa.Column("state", sa.String, nullable=False),
    sa.Column("end_reason", sa.Text),
    # Bytes of variable data held by the instance, for the per-instance limit.
    sa.Column("variable_bytes", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("created_by", sa.String, nullable=False),
    sa.Column("started_at", TS),
    sa.Column("ended_at", TS),
    sa.Column("ended_by", sa.String),
    indexes=(
        sa.Index("process_instance_process_id_idx", "process_id"),
        sa.Index("process_instance_state_idx", "state"),
        sa.Index("process_instance_parent_id_idx", "partition", "parent_id"),
        sa.Index("process_instance_correlation_key_idx", "correlation_key"),
    ),
)

element_instance = _partitioned(
    "element_instance",
    sa.Column("parent_id", sa.Integer),
    sa.Column("prev_id", sa.Integer),
    sa.Column("prev_element_id", sa.Integer),
    sa.Column("element_id", sa.Integer, nullable=False),
    sa.Column("process_id", sa.Integer, nullable=False),
    sa.Column("process_instance_id", sa.Integer, nullable=False),
    sa.Column("bpmn_element_id", sa.String, nullable=False),
    sa.Column("bpmn_element_type", sa.String, nullable=False),
    sa.Column("state", sa.String, nullable=False),
    # Runtime context of a waiting element: a timer, a signal name, a gateway decision, ...
    sa.Column("context", pg.JSONB),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("created_by", sa.String, nullable=False),
    sa.Column("started_at", TS),
    sa.Column("ended_at", TS),
    indexes=(
        sa.Index(
            "element_instance_active_idx",
            "partition",
            "process_instance_id",
            postgresql_where=sa.text("ended_at IS NULL"),
        ),
        sa.Index("element_instance_process_instance_idx", "partition", "process_instance_id"),
    ),
)

job = _partitioned(
    "job",
    sa.Column("element_id", sa.Integer, nullable=False),
    sa.Column("element_instance_id", sa.Integer, nullable=False),
    sa.Column("process_id", sa.Integer, nullable=False),
    sa.Column("process_instance_id", sa.Integer, nullable=False),
    sa.Column("bpmn_element_id", sa.String, nullable=False),
    sa.Column("bpmn_process_id", sa.String, nullable=False),
    # EXECUTE, EVALUATE_EXCLUSIVE_GATEWAY, ...
    sa.Column("type", sa.String, nullable=False),
    # The job type from the model (zeebe:taskDefinition type, camunda:topic), if any.
    sa.Column("job_type", sa.String),
    sa.Column("retries", sa.Integer),
    sa.Column("correlation_key", sa.String),
    sa.Column("state", sa.String, nullable=False),
    sa.Column("retry_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("error", sa.Text),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("created_by", sa.String, nullable=False),
    sa.Column("due_at", TS, nullable=False),
    sa.Column("locked_at", TS),
    sa.Column("locked_by", sa.String),
    sa.Column("lock_expires_at", TS),
    sa.Column("completed_at", TS),
    indexes=(
        sa.Index(
            "job_open_idx",
            "due_at",
            postgresql_where=sa.text("state IN ('CREATED', 'LOCKED')"),
        ),
        sa.Index("job_process_instance_idx", "partition", "process_instance_id"),
        sa.Index("job_element_instance_idx", "partition", "element_instance_id"),
    ),
)

task = _partitioned(
    "task",
    sa.Column("element_id", sa.Integer),
    sa.Column("element_instance_id", sa.Integer),
    sa.Column("process_id", sa.Integer),
    sa.Column("process_instance_id", sa.Integer),
    sa.Column("bpmn_element_id", sa.String),
    sa.Column("type", sa.String, nullable=False),
    sa.Column("serialized_task", pg.JSONB),
    sa.Column("state", sa.String, nullable=False),
    sa.Column("retry_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("error", sa.Text),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("created_by", sa.String, nullable=False),
    sa.Column("due_at", TS, nullable=False),
    # When the task was last published to the broker; the sweep republishes stale ones.
    sa.Column("dispatched_at", TS),
    sa.Column("locked_at", TS),
    sa.Column("locked_by", sa.String),
    sa.Column("completed_at", TS),
    indexes=(
        sa.Index("task_open_idx", "due_at", postgresql_where=sa.text("state = 'CREATED'")),
        sa.Index("task_process_instance_idx", "partition", "process_instance_id"),
        sa.Index(
            "task_element_instance_idx",
            "partition",
            "element_instance_id",
            postgresql_where=sa.text("state = 'CREATED'"),
        ),
    ),
)

variable = _partitioned(
    "variable",
    sa.Column("element_id", sa.Integer),
    sa.Column("element_instance_id", sa.Integer),
    sa.Column("process_id", sa.Integer, nullable=False),
    sa.Column("process_instance_id", sa.Integer, nullable=False),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("encoding", sa.String, nullable=False),
    sa.Column("is_encrypted", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("is_compressed", sa.Boolean, nullable=False, server_default=sa.false()),
    # Key id of the encryption key, kept with the value so that keys can rotate.
    sa.Column("key_id", sa.String),
    # Plain values are text; compressed or encrypted values are bytes.
    sa.Column("value", sa.Text),
    sa.Column("blob", sa.LargeBinary),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("created_by", sa.String, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.Column("updated_by", sa.String, nullable=False),
    indexes=(
        sa.Index(
            "variable_scope_name_idx",
            "partition",
            "process_instance_id",
            sa.text("coalesce(element_instance_id, 0)"),
            "name",
            unique=True,
        ),
    ),
)

incident = _partitioned(
    "incident",
    sa.Column("element_id", sa.Integer),
    sa.Column("element_instance_id", sa.Integer),
    sa.Column("job_id", sa.Integer),
    sa.Column("task_id", sa.Integer),
    sa.Column("process_id", sa.Integer),
    sa.Column("process_instance_id", sa.Integer),
    sa.Column("error", sa.Text),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("created_by", sa.String, nullable=False),
    sa.Column("resolved_at", TS),
    sa.Column("resolved_by", sa.String),
    indexes=(
        sa.Index("incident_process_instance_idx", "partition", "process_instance_id"),
        sa.Index("incident_open_idx", "created_at", postgresql_where=sa.text("resolved_at IS NULL")),
    ),
)

user_task = _partitioned(
    "user_task",
    sa.Column("element_id", sa.Integer, nullable=False),
    sa.Column("element_instance_id", sa.Integer, nullable=False),
    sa.Column("process_id", sa.Integer, nullable=False),
    sa.Column("process_instance_id", sa.Integer, nullable=False),
    sa.Column("bpmn_element_id", sa.String, nullable=False),
    sa.Column("name", sa.String),
    sa.Column("correlation_key", sa.String),
    sa.Column("revision", sa.Integer, nullable=False, server_default="1"),
    sa.Column("state", sa.String, nullable=False),
    sa.Column("tags", pg.JSONB),
    sa.Column("assignee", sa.String),
    sa.Column("candidate_users", pg.ARRAY(sa.String)),
    sa.Column("candidate_groups", pg.ARRAY(sa.String)),
    sa.Column("due_date", TS),
    sa.Column("follow_up_date", TS),
    sa.Column("priority", sa.Integer),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("created_by", sa.String, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.Column("updated_by", sa.String, nullable=False),
    sa.Column("ended_at", TS),
    indexes=(
        sa.Index("user_task_process_instance_idx", "partition", "process_instance_id"),
        sa.Index("user_task_element_instance_idx", "partition", "element_instance_id"),
        sa.Index("user_task_assignee_idx", "assignee", postgresql_where=sa.text("ended_at IS NULL")),
    ),
)

message_subscription = _partitioned(
    "message_subscription",
    sa.Column("element_id", sa.Integer, nullable=False),
    sa.Column("element_instance_id", sa.Integer, nullable=False),
    sa.Column("process_id", sa.Integer, nullable=False),
    sa.Column("process_instance_id", sa.Integer, nullable=False),
    sa.Column("bpmn_element_id", sa.String, nullable=False),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("correlation_key", sa.String, nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("created_by", sa.String, nullable=False),
    indexes=(
        sa.Index("message_subscription_name_key_idx", "name", "correlation_key"),
        sa.Index("message_subscription_process_instance_idx", "partition", "process_instance_id"),
        sa.Index("message_subscription_element_instance_idx", "partition", "element_instance_id"),
    ),
)

signal_subscription = _partitioned(
    "signal_subscription",
    sa.Column("element_id", sa.Integer, nullable=False),
    sa.Column("element_instance_id", sa.Integer, nullable=False),
    sa.Column("process_id", sa.Integer, nullable=False),
    sa.Column("process_instance_id", sa.Integer, nullable=False),
    sa.Column("bpmn_element_id", sa.String, nullable=False),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("created_by", sa.String, nullable=False),
    indexes=(
        sa.Index("signal_subscription_name_idx", "name"),
        sa.Index("signal_subscription_process_instance_idx", "partition", "process_instance_id"),
        sa.Index("signal_subscription_element_instance_idx", "partition", "element_instance_id"),
    ),
)

# Files kept with a process instance (``/process-instances/{p}/{id}/attachments``), e.g. the
# files of a Concord payload, for job workers to download. One row per file, named by its
# relative path; the content is stored as is (PostgreSQL TOAST compresses what compresses).
attachment = _partitioned(
    "attachment",
    sa.Column("process_instance_id", sa.Integer, nullable=False),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("content_type", sa.String, nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("content", sa.LargeBinary, nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("created_by", sa.String, nullable=False),
    indexes=(
        sa.Index("attachment_process_instance_name_idx", "partition", "process_instance_id", "name", unique=True),
    ),
)

# The execution trace: one row per state change of an element instance. Trace rows are never
# addressed one by one, so their id comes from one global bigint sequence.
event_id_seq = sa.Sequence("event_id_seq", metadata=metadata)
event = sa.Table(
    "event",
    metadata,
    sa.Column("partition", sa.Date, primary_key=True),
    sa.Column("id", sa.BigInteger, event_id_seq, primary_key=True, server_default=event_id_seq.next_value()),
    sa.Column("process_instance_id", sa.Integer, nullable=False),
    sa.Column("element_instance_id", sa.Integer, nullable=False),
    sa.Column("element_id", sa.Integer, nullable=False),
    sa.Column("bpmn_element_id", sa.String, nullable=False),
    sa.Column("bpmn_element_type", sa.String, nullable=False),
    sa.Column("state", sa.String, nullable=False),
    sa.Column("time", TS, nullable=False),
    sa.Column("created_by", sa.String, nullable=False),
    sa.Index("event_process_instance_idx", "partition", "process_instance_id", "id"),
    postgresql_partition_by="LIST (partition)",
)

PARTITIONED_TABLES: tuple[sa.Table, ...] = (
    process_instance,
    element_instance,
    job,
    task,
    variable,
    incident,
    user_task,
    message_subscription,
    signal_subscription,
    event,
    attachment,
)
