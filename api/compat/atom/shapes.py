"""What the Atom facade answers: instances, tokens, traces, details, cancellations.

Everything here shapes a snapshot (``engine.queries.snapshots``, read by ``reading``) into
Atom's JSON; nothing is read and nothing is decided that the engine does not already know.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from api.compat.atom.terms import (
    ACTIVE_TOKEN_STATES,
    base_status,
    duration_ms,
    element_type,
    incident_key,
    instance_key,
    iso,
    job_key,
    process_key,
    token_key,
    token_state,
    version_value,
)
from engine.queries.records import ElementInstance, ProcessInstance
from engine.queries.snapshots import Snapshot
from engine.queries.trace import TraceEvent

# Atom is single-tenant in Baton: every instance belongs to this tenant.
TENANT = "default"
_OPEN_JOB_STATES = ("CREATED", "LOCKED")


def updated_at(instance: ProcessInstance, tokens: list[ElementInstance] = ()) -> datetime:  # type: ignore[assignment]
    """The latest moment the instance or one of the tokens was created, started or ended."""
    moments = [instance.created_at, instance.started_at, instance.ended_at]
    for ei in tokens:
        moments += [ei.created_at, ei.started_at, ei.ended_at]
    return max(m for m in moments if m is not None)


def _end_fields(instance: ProcessInstance) -> dict[str, Any]:
    status = base_status(instance.state)
    return {
        "completed_at": iso(instance.ended_at) if status == "COMPLETED" else None,
        "cancelled_at": iso(instance.ended_at) if status == "CANCELLED" else None,
    }


def summary(
    instance: ProcessInstance, variables: dict[str, Any], current_activity: str | None = None
) -> dict[str, Any]:
    """An instance as ``POST /api/v1/processes`` and the list answer it."""
    return {
        "instance_id": instance_key(instance.partition, instance.id),
        "process_id": instance.bpmn_process_id,
        "process_key": process_key(instance.bpmn_process_id),
        "version": version_value(instance.version),
        "status": base_status(instance.state),
        "tenant_id": TENANT,
        "started_at": iso(instance.created_at),
        "updated_at": iso(updated_at(instance)),
        **_end_fields(instance),
        "current_activity": current_activity,
        "variables": variables,
    }


def _active(snapshot: Snapshot) -> list[ElementInstance]:
    return [ei for ei in snapshot.tokens if ei.state in ACTIVE_TOKEN_STATES]


def _activity(snapshot: Snapshot, ei: ElementInstance) -> dict[str, Any]:
    return {
        "element_id": ei.bpmn_element_id,
        "element_type": element_type(ei.bpmn_element_type),
        "element_name": snapshot.names.get(ei.bpmn_element_id),
    }


def status(snapshot: Snapshot) -> dict[str, Any]:
    """``GET /api/v1/processes/:id``."""
    instance = snapshot.instance
    active = _active(snapshot)
    current = Counter(ei.bpmn_element_id for ei in active)
    current_activities = []
    for ei in active:
        if ei.bpmn_element_id in current:
            current_activities.append(
                {
                    **_activity(snapshot, ei),
                    "tokens": current.pop(ei.bpmn_element_id),
                    "started_at": iso(ei.started_at or ei.created_at),
                }
            )
    completed = [ei for ei in snapshot.tokens if ei.state == "COMPLETED"]
    done_elements = {ei.bpmn_element_id for ei in completed}
    end = instance.ended_at or updated_at(instance, snapshot.tokens)
    return {
        **summary(instance, snapshot.variables, active[-1].bpmn_element_id if active else None),
        "updated_at": iso(updated_at(instance, snapshot.tokens)),
        "current_activities": current_activities,
        "completed_activities": [
            {
                **_activity(snapshot, ei),
                "completed_at": iso(ei.ended_at),
                "duration_ms": duration_ms(ei.started_at or ei.created_at, ei.ended_at),
            }
            for ei in completed
        ],
        "metrics": {
            "elapsed_time_seconds": int((end - instance.created_at).total_seconds()),
            "completed_activities_count": len(completed),
            "active_activities_count": len(active),
            "total_activities_count": snapshot.element_count,
            "progress_percent": round(100.0 * len(done_elements) / snapshot.element_count, 1)
            if snapshot.element_count
            else 0.0,
        },
    }


def _parent_token(ei: ElementInstance, by_id: dict[int, ElementInstance]) -> int | None:
    """The token this one came from: its predecessor in the flow (the native ``prevId``; where
    the engine recorded none, the token of the same scope that ended last before this one was
    created), else its enclosing sub-process."""
    if ei.prev_id is not None and ei.prev_id in by_id:
        return ei.prev_id
    before = [
        other
        for other in by_id.values()
        if other.id < ei.id
        and other.parent_id == ei.parent_id
        and other.ended_at is not None
        and other.ended_at <= ei.created_at
    ]
    if before:
        return max(before, key=lambda other: (other.ended_at, other.id)).id
    return ei.parent_id if ei.parent_id in by_id else None


def token(snapshot: Snapshot, ei: ElementInstance, parent: int | None, children: list[int]) -> dict[str, Any]:
    """One token as ``GET …/tokens`` shows it."""
    p = ei.partition
    state = token_state(ei.state)
    return {
        "token_id": token_key(p, ei.id),
        **_activity(snapshot, ei),
        "state": state,
        "created_at": iso(ei.created_at),
        "updated_at": iso(ei.ended_at or ei.started_at or ei.created_at),
        "completed_at": iso(ei.ended_at) if state == "COMPLETED" else None,
        "cancelled_at": iso(ei.ended_at) if state == "CANCELLED" else None,
        "execution_context": _token_context(snapshot, ei),
        "parent_token_id": token_key(p, parent) if parent is not None else None,
        "child_tokens": [token_key(p, child) for child in children],
        "flow_history": [
            {"from_element": prev.bpmn_element_id, "timestamp": iso(ei.created_at)}
            for prev in snapshot.tokens
            if prev.id == ei.prev_id
        ],
    }


def _token_context(snapshot: Snapshot, ei: ElementInstance) -> dict[str, Any]:
    context: dict[str, Any] = {"native_state": ei.state}
    if ei.ended_at is not None:
        context["duration_ms"] = duration_ms(ei.started_at or ei.created_at, ei.ended_at)
    for job in snapshot.jobs:
        if job.element_instance_id == ei.id and job.state in _OPEN_JOB_STATES:
            context.update(
                job_key=job_key(job.partition, job.id),
                worker_id=job.locked_by,
                retries_left=max((job.retries or 0) - job.retry_count, 0),
                timeout_at=iso(job.lock_expires_at),
            )
    return context


def token_tree(snapshot: Snapshot) -> tuple[dict[int, int | None], dict[int, list[int]]]:
    """Each token's parent and children (see :func:`_parent_token`)."""
    by_id = {ei.id: ei for ei in snapshot.tokens}
    parents = {ei.id: _parent_token(ei, by_id) for ei in snapshot.tokens}
    children: dict[int, list[int]] = {ei.id: [] for ei in snapshot.tokens}
    for child, parent in parents.items():
        if parent is not None:
            children[parent].append(child)
    return parents, children


def tokens(snapshot: Snapshot, state: str | None, kind: str | None, include_completed: bool) -> dict[str, Any]:
    """``GET …/tokens``: the token tree, filtered, with a summary of all tokens."""
    parents, children = token_tree(snapshot)
    everything = [token(snapshot, ei, parents[ei.id], children[ei.id]) for ei in snapshot.tokens]
    shown = [
        t
        for t in everything
        if (state is None or t["state"] == state)
        and (kind is None or t["element_type"] == kind)
        and (include_completed or t["state"] != "COMPLETED")
    ]
    states = Counter(t["state"] for t in everything)
    return {
        "instance_id": instance_key(snapshot.instance.partition, snapshot.instance.id),
        "process_id": snapshot.instance.bpmn_process_id,
        "tokens": shown,
        "summary": {
            "total_tokens": len(everything),
            "active_tokens": states.get("ACTIVE", 0),
            "completed_tokens": states.get("COMPLETED", 0),
            "cancelled_tokens": states.get("CANCELLED", 0),
            "token_states": {name: states.get(name, 0) for name in ("ACTIVE", "SUSPENDED", "COMPLETED", "CANCELLED")},
            "element_types": dict(Counter(t["element_type"] for t in everything)),
        },
    }


_ACTIONS = {
    "CREATED": "TOKEN_CREATED",
    "STARTED": "TOKEN_ACTIVATED",
    "SUSPENDED": "TOKEN_SUSPENDED",
    "COMPLETED": "TOKEN_COMPLETED",
    "CANCELED": "TOKEN_CANCELLED",
    "TERMINATED": "TOKEN_CANCELLED",
}


def timeline(snapshot: Snapshot, events: list[TraceEvent]) -> list[dict[str, Any]]:
    """The native trace as Atom's execution timeline (the PROCESS scope left out)."""
    p = snapshot.instance.partition
    return [
        {
            "sequence": index,
            "timestamp": iso(e.time),
            "action": _ACTIONS.get(e.state, e.state),
            "token_id": token_key(p, e.element_instance_id),
            "element_id": e.bpmn_element_id,
            "element_type": element_type(e.bpmn_element_type),
            "element_name": snapshot.names.get(e.bpmn_element_id),
            "state": e.state,
            "worker_id": e.created_by,
        }
        for index, e in enumerate((e for e in events if e.bpmn_element_type != "PROCESS"), start=1)
    ]


def _tree(snapshot: Snapshot) -> list[dict[str, Any]]:
    parents, children = token_tree(snapshot)
    by_id = {ei.id: ei for ei in snapshot.tokens}

    def branch(id: int, depth: int) -> dict[str, Any]:
        ei = by_id[id]
        return {
            "token_id": token_key(ei.partition, id),
            "element": ei.bpmn_element_id,
            "state": token_state(ei.state),
            # Deep chains (loops) are cut rather than answered with unbounded nesting.
            "children": [branch(child, depth + 1) for child in children[id]] if depth < 50 else [],
        }

    return [branch(id, 0) for id, parent in parents.items() if parent is None]


def trace(snapshot: Snapshot, events: list[TraceEvent], fmt: str, now: datetime) -> dict[str, Any]:
    """``GET …/tokens/trace`` (``format=detailed`` or ``summary``)."""
    instance = snapshot.instance
    end = instance.ended_at or now
    states = Counter(token_state(ei.state) for ei in snapshot.tokens)
    active = _active(snapshot)
    if fmt == "summary":
        return {
            "instance_id": instance_key(instance.partition, instance.id),
            "execution_path": [
                {
                    "element": ei.bpmn_element_id,
                    "type": element_type(ei.bpmn_element_type),
                    "status": token_state(ei.state),
                    "duration_ms": duration_ms(ei.started_at or ei.created_at, ei.ended_at),
                    "timestamp": iso(ei.created_at),
                }
                for ei in snapshot.tokens
            ],
            "current_position": active[-1].bpmn_element_id if active else None,
            "total_duration_ms": duration_ms(instance.created_at, end),
        }
    return {
        "instance_id": instance_key(instance.partition, instance.id),
        "process_id": instance.bpmn_process_id,
        "trace_generated_at": iso(now),
        "execution_timeline": timeline(snapshot, events),
        "token_relationships": {"token_tree": _tree(snapshot)},
        "summary": {
            "total_tokens_created": len(snapshot.tokens),
            "total_tokens_completed": states.get("COMPLETED", 0),
            "total_tokens_active": states.get("ACTIVE", 0),
            "total_elements_visited": len({ei.bpmn_element_id for ei in snapshot.tokens}),
            "execution_status": "IN_PROGRESS" if instance.ended_at is None else base_status(instance.state),
        },
    }


def info(snapshot: Snapshot, now: datetime, sections: set[str]) -> dict[str, Any]:
    """``GET …/info``: definition, status, context, current state, and the chosen sections
    (``history``, ``variables``, ``incidents``)."""
    instance = snapshot.instance
    p = instance.partition
    active = _active(snapshot)
    jobs_open = [j for j in snapshot.jobs if j.state in _OPEN_JOB_STATES]
    waiting_types = {"userTask", "intermediateCatchEvent", "boundaryEvent", "eventBasedGateway", "callActivity"}
    current, waiting, suspended = [], [], []
    for ei in active:
        entry = {**_activity(snapshot, ei), "started_at": iso(ei.started_at or ei.created_at)}
        entry.update({k: v for k, v in _token_context(snapshot, ei).items() if k != "native_state"})
        if ei.state == "SUSPENDED":
            suspended.append(entry)
        elif element_type(ei.bpmn_element_type) in waiting_types and "job_key" not in entry:
            waiting.append(entry)
        else:
            current.append(entry)
    data: dict[str, Any] = {
        "instance_id": instance_key(p, instance.id),
        "process_definition": {
            "process_id": instance.bpmn_process_id,
            "process_key": process_key(instance.bpmn_process_id),
            "version": version_value(instance.version),
            "name": snapshot.process_name,
            "tenant_id": TENANT,
        },
        "status": {
            "current_status": base_status(instance.state),
            "started_at": iso(instance.created_at),
            "updated_at": iso(updated_at(instance, snapshot.tokens)),
            **_end_fields(instance),
            "cancellation_reason": instance.end_reason,
            "native_state": instance.state,
        },
        "execution_context": {
            "started_by": instance.created_by,
            "parent_process_id": instance_key(p, instance.parent_id) if instance.parent_id else None,
            "child_processes": [instance_key(c.partition, c.id) for c in snapshot.children],
            "business_key": instance.correlation_key,
        },
        "current_state": {
            "current_activities": current,
            "waiting_activities": waiting,
            "suspended_activities": suspended,
        },
        "active_jobs": [
            {
                "job_key": job_key(j.partition, j.id),
                "type": j.job_type or j.type,
                "element_id": j.bpmn_element_id,
                "worker_id": j.locked_by,
                "activated_at": iso(j.locked_at),
                "timeout_at": iso(j.lock_expires_at),
                "retries": max((j.retries or 0) - j.retry_count, 0),
            }
            for j in jobs_open
        ],
        "metadata": {"generated_at": iso(now), "included_sections": sorted(sections), "engine": "baton"},
    }
    if "variables" in sections:
        data["variables"] = {"current_variables": snapshot.variables}
    if "history" in sections:
        data["execution_history"] = [
            {
                "activity_id": ei.bpmn_element_id,
                "activity_type": element_type(ei.bpmn_element_type),
                "activity_name": snapshot.names.get(ei.bpmn_element_id),
                "started_at": iso(ei.started_at or ei.created_at),
                "completed_at": iso(ei.ended_at),
                "duration_ms": duration_ms(ei.started_at or ei.created_at, ei.ended_at),
                "status": token_state(ei.state),
            }
            for ei in snapshot.tokens
        ]
    if "incidents" in sections:
        data["incidents"] = [
            {
                "incident_id": incident_key(i.partition, i.id),
                "status": "OPEN" if i.resolved_at is None else "RESOLVED",
                "element_id": i.bpmn_element_id,
                "job_key": job_key(i.partition, i.job_id) if i.job_id else None,
                "error_message": i.error,
                "created_at": iso(i.created_at),
                "resolved_at": iso(i.resolved_at),
            }
            for i in snapshot.incidents
        ]
    return data


def cancellation(snapshot: Snapshot) -> dict[str, Any]:
    """``DELETE /api/v1/processes/:id``: the canceled instance and what its cancel ended."""
    instance = snapshot.instance
    ended_now = [
        ei for ei in snapshot.tokens if token_state(ei.state) == "CANCELLED" and ei.ended_at == instance.ended_at
    ]
    return {
        **summary(instance, snapshot.variables),
        "cancelled_at": iso(instance.ended_at),
        "cancellation_reason": instance.end_reason,
        "cancelled_by": instance.ended_by,
        "active_tokens_cancelled": len(ended_now),
        "completed_activities": [ei.bpmn_element_id for ei in snapshot.tokens if ei.state == "COMPLETED"],
        "cancelled_activities": [ei.bpmn_element_id for ei in ended_now],
    }
