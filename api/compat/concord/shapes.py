"""What the Concord facade answers: a process's status in Concord's shape and timestamps."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from api.compat.concord.terms import STATUS, instance_uuid
from engine.queries.records import ProcessInstance


def timestamp(moment: datetime | None) -> str | None:
    """Concord's timestamps: ``2017-07-19T16:31:39.331+0000``."""
    if moment is None:
        return None
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def entry(instance: ProcessInstance, open_incidents: int) -> dict[str, Any]:
    """A process as Concord's status request answers it."""
    status = STATUS.get(instance.state, "RUNNING")
    if status in ("RUNNING", "SUSPENDED") and open_incidents:
        status = "FAILED"
    body: dict[str, Any] = {"instanceId": instance_uuid(instance.partition, instance.id)}
    if instance.parent_id is not None:
        body["parentInstanceId"] = instance_uuid(instance.partition, instance.parent_id)
    body.update(
        status=status,
        createdAt=timestamp(instance.created_at),
        initiator=instance.created_by,
        lastUpdatedAt=timestamp(instance.ended_at or instance.started_at or instance.created_at),
        entryPoint=instance.bpmn_process_id,
        baton={
            "partition": instance.partition.isoformat(),
            "id": instance.id,
            "state": instance.state,
            "version": instance.version,
            "openIncidents": open_incidents,
            "endReason": instance.end_reason,
        },
    )
    return body
