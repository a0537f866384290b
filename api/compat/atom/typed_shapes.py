"""The typed variants of the Atom facade (``…/typed``): Atom's typed shapes with extra metadata.

Typed answers follow Atom's typed API (``ProcessInstanceDetails``, ``TokenInfo``,
``ProcessTraceResponse``, ``ProcessStartResponse``, ``ProcessCancelResponse``) and add
``metadata``: the JSON type of every variable and the native address and state of the instance.
Statuses are the typed five: ACTIVE, SUSPENDED, COMPLETED, CANCELLED, FAILED.
"""

from __future__ import annotations

from typing import Any

from api.compat.atom.shapes import TENANT, timeline, token_tree, updated_at
from api.compat.atom.terms import (
    ACTIVE_TOKEN_STATES,
    duration_ms,
    element_type,
    instance_key,
    iso,
    json_type,
    process_key,
    token_key,
    token_state,
    typed_status,
    version_value,
)
from engine.queries.records import ElementInstance, Incident, ProcessInstance
from engine.queries.snapshots import Snapshot
from engine.queries.trace import TraceEvent


def metadata(instance: ProcessInstance, variables: dict[str, Any]) -> dict[str, Any]:
    """The extra metadata of typed answers: variable types and the native address and state."""
    return {
        "variable_types": {name: json_type(value) for name, value in variables.items()},
        "native": {
            "partition": instance.partition.isoformat(),
            "id": instance.id,
            "state": instance.state,
            "process_id": instance.process_id,
            "version": instance.version,
        },
        "engine": "baton",
    }


def details(
    instance: ProcessInstance,
    variables: dict[str, Any],
    instance_tokens: list[ElementInstance] | None = None,
    incidents: list[Incident] = (),  # type: ignore[assignment]
    current_activity: str | None = None,
) -> dict[str, Any]:
    """An instance in the typed API's ``ProcessInstanceDetails`` shape.

    Lists pass no tokens (only the ``current_activity``): the token counts are then null.
    """
    active = [ei for ei in instance_tokens or () if ei.state in ACTIVE_TOKEN_STATES]
    open_incidents = [i for i in incidents if i.resolved_at is None]
    return {
        "instance_id": instance_key(instance.partition, instance.id),
        "process_key": process_key(instance.bpmn_process_id),
        "process_definition_id": str(instance.process_id),
        "version": version_value(instance.version),
        "status": typed_status(instance.state),
        "variables": variables,
        "metadata": metadata(instance, variables),
        "tenant_id": TENANT,
        "business_key": instance.correlation_key,
        "parent_instance_id": instance_key(instance.partition, instance.parent_id) if instance.parent_id else None,
        "started_at": iso(instance.created_at),
        "updated_at": iso(updated_at(instance, instance_tokens or [])),
        "completed_at": iso(instance.ended_at),
        "duration_ms": duration_ms(instance.created_at, instance.ended_at),
        "current_activity": active[-1].bpmn_element_id if active else current_activity,
        "active_tokens": len(active) if instance_tokens is not None else None,
        "completed_tokens": sum(1 for ei in instance_tokens if ei.state == "COMPLETED")
        if instance_tokens is not None
        else None,
        "error_message": open_incidents[0].error if open_incidents else None,
    }


def token(snapshot: Snapshot, ei: ElementInstance, parent: int | None) -> dict[str, Any]:
    """A token in the typed API's ``TokenInfo`` shape."""
    return {
        "token_id": token_key(ei.partition, ei.id),
        "process_instance_id": instance_key(ei.partition, ei.process_instance_id),
        "element_id": ei.bpmn_element_id,
        "element_type": element_type(ei.bpmn_element_type),
        "element_name": snapshot.names.get(ei.bpmn_element_id),
        "status": token_state(ei.state),
        "native_state": ei.state,
        "created_at": iso(ei.created_at),
        "updated_at": iso(ei.ended_at or ei.started_at or ei.created_at),
        "completed_at": iso(ei.ended_at),
        "parent_token_id": token_key(ei.partition, parent) if parent is not None else None,
        "is_active": ei.state in ACTIVE_TOKEN_STATES,
    }


def tokens(snapshot: Snapshot) -> list[dict[str, Any]]:
    """Every token in the typed shape."""
    parents, _ = token_tree(snapshot)
    return [token(snapshot, ei, parents[ei.id]) for ei in snapshot.tokens]


def trace(snapshot: Snapshot, events: list[TraceEvent]) -> dict[str, Any]:
    """``GET …/trace/typed``: the typed ``ProcessTraceResponse`` plus the full timeline."""
    instance = snapshot.instance
    path: list[str] = []
    for ei in snapshot.tokens:
        if not path or path[-1] != ei.bpmn_element_id:
            path.append(ei.bpmn_element_id)
    all_tokens = tokens(snapshot)
    return {
        "process_instance_id": instance_key(instance.partition, instance.id),
        "process_key": process_key(instance.bpmn_process_id),
        "status": typed_status(instance.state),
        "tokens": all_tokens,
        "execution_path": path,
        "started_at": iso(instance.created_at),
        "completed_at": iso(instance.ended_at),
        "duration_ms": duration_ms(instance.created_at, instance.ended_at),
        "total_tokens": len(all_tokens),
        "completed_tokens": sum(1 for t in all_tokens if t["status"] == "COMPLETED"),
        "events": timeline(snapshot, events),
        "metadata": metadata(instance, snapshot.variables),
    }


def started(instance: ProcessInstance, variables: dict[str, Any]) -> dict[str, Any]:
    """``POST …/typed``: the typed ``ProcessStartResponse``."""
    return {
        "instance_id": instance_key(instance.partition, instance.id),
        "process_key": process_key(instance.bpmn_process_id),
        "version": version_value(instance.version),
        "status": typed_status(instance.state),
        "success": True,
        "message": "process instance created; a worker starts it",
        "started_at": iso(instance.created_at),
        "variables": variables,
        "metadata": metadata(instance, variables),
    }


def cancelled(snapshot: Snapshot) -> dict[str, Any]:
    """``DELETE …/typed``: the typed ``ProcessCancelResponse``."""
    instance = snapshot.instance
    return {
        "instance_id": instance_key(instance.partition, instance.id),
        "success": True,
        "message": "process instance cancelled",
        "cancelled_at": iso(instance.ended_at),
        "reason": instance.end_reason,
        "status": typed_status(instance.state),
        "metadata": metadata(instance, snapshot.variables),
    }
