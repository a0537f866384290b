"""Configuration: every ``BATON_*`` environment variable, with its default, in one place.

Every process builds a :class:`Settings` with :func:`Settings.from_env` (tests may override
fields) and hands it to the composition root, ``workers.wiring.wire``. The engine itself never reads the
environment; it receives the values it needs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any


def _int(value: str, name: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {value!r}") from None


def _bool(value: str, name: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"{name} must be a boolean (true/false), got {value!r}")


@dataclass(frozen=True)
class Settings:
    """Runtime configuration. Field ``x_y`` is read from ``BATON_X_Y``."""

    # PostgreSQL URL (SQLAlchemy form, postgresql+psycopg2://... or postgresql://...).
    database_url: str = ""
    # Redis URL used as the Celery broker and for wake-ups.
    broker_url: str = ""
    # Celery queue of engine tasks (several Baton installations may share one Redis).
    queue: str = "baton"
    # Size of the SQLAlchemy connection pool per process.
    database_pool_size: int = 10
    # Authentication: off only when explicitly disabled (dev mode).
    auth_enabled: bool = True
    # Identifier recorded as `createdBy`/`lockedBy` for work done by the engine itself.
    engine_id: str = "baton-engine"
    # Largest accepted request body, in bytes.
    max_body_bytes: int = 10 * 1024 * 1024
    # Largest accepted BPMN document, in bytes.
    max_bpmn_bytes: int = 5 * 1024 * 1024
    # Variables: count per request, bytes per instance, size above which values are compressed.
    max_variables_per_request: int = 100
    max_variable_bytes_per_instance: int = 5 * 1024 * 1024
    variable_compress_bytes: int = 1024 * 1024
    # AES-GCM keys for encrypted variables: "id1:base64key,id2:base64key" (the first encrypts).
    encryption_keys: str = ""
    # Days of partitions created ahead of today.
    partitions_ahead: int = 3
    # Days after which an ended partition is detached and dropped.
    retention_days: int = 90
    # Seconds after which a published-but-unstarted engine task is published again.
    redispatch_seconds: int = 10
    # Default lock duration of jobs in seconds, when a lock request gives none.
    job_lock_seconds: int = 300
    # Engine task failures before an incident is created; back-off base in seconds.
    task_retry_limit: int = 3
    task_retry_seconds: int = 5
    # Log format: "text" or "json".
    log_format: str = "text"
    log_level: str = "INFO"
    # Test-only fault injection: the API process exits right after a COMMIT that created engine
    # tasks, before publishing them (the beat sweep must recover them).
    fault_crash_before_publish: bool = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read every field from ``BATON_<FIELD>``; keyword arguments win over the environment."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for field in fields(cls):
            name = f"BATON_{field.name.upper()}"
            if name not in environ:
                continue
            raw = environ[name]
            if field.type == "int":
                values[field.name] = _int(raw, name)
            elif field.type == "bool":
                values[field.name] = _bool(raw, name)
            else:
                values[field.name] = raw
        values.update(overrides)
        return cls(**values)

    def with_(self, **changes: Any) -> Settings:
        """A copy with some fields changed."""
        return replace(self, **changes)


# Settings that exist for the fault-injection tests only; deployment manifests leave them out.
TEST_ONLY_SETTINGS = frozenset({"fault_crash_before_publish"})


def documented_variables() -> list[tuple[str, str]]:
    """(environment variable, default) for every setting, for the README and ``baton config``."""
    return [(f"BATON_{f.name.upper()}", repr(f.default)) for f in fields(Settings)]
