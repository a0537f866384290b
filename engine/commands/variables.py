"""Reading and writing variables of process and element instances."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from engine.errors import conflict, not_found
from engine.store import steps
from engine.store import variables as store
from engine.store.db import Tx
from engine.store.variables import ElementInstanceRow
from engine.variables import Policy, VariableChange, VariableData


def get_process_variables(
    tx: Tx, partition: date, instance_id: int, names: Sequence[str], policy: Policy
) -> dict[str, VariableData]:
    """Variables of a process instance (active or ended)."""
    if not store.instance_exists(tx, partition, instance_id):
        raise not_found(
            "failed to get process variables",
            f"process instance {partition.isoformat()}/{instance_id} could not be found",
        )
    return store.read(tx.conn, partition, instance_id, [None], names, policy.keyring)


def set_process_variables(
    tx: Tx, partition: date, instance_id: int, changes: Sequence[VariableChange], policy: Policy
) -> None:
    """Set or delete variables of an active process instance."""
    title = "failed to set process variables"
    row = steps.lock_instance(tx, partition, instance_id, title=title)
    if row.ended_at is not None:
        raise conflict(title, f"process instance {partition.isoformat()}/{instance_id} has ended ({row.state})")
    store.apply(tx, store.Scope(partition, instance_id, row.process_id), changes, policy)


def _element_instance(tx: Tx, partition: date, id: int, title: str) -> ElementInstanceRow:
    row = store.element_instance(tx, partition, id)
    if row is None:
        raise not_found(title, f"element instance {partition.isoformat()}/{id} could not be found")
    return row


def get_element_variables(
    tx: Tx, partition: date, id: int, names: Sequence[str], policy: Policy, *, include_parents: bool = True
) -> dict[str, VariableData]:
    """Variables of an element instance and, unless excluded, of its enclosing element scopes.

    Process-scope variables are not included (go-bpmn); inner scopes shadow outer ones.
    """
    row = _element_instance(tx, partition, id, "failed to get element variables")
    chain = [row.id]
    parent = row.parent_id
    while include_parents and parent is not None:
        chain.append(parent)
        parent = store.parent_scope(tx, partition, parent)
    return store.read(tx.conn, partition, row.process_instance_id, list(reversed(chain)), names, policy.keyring)


def set_element_variables(tx: Tx, partition: date, id: int, changes: Sequence[VariableChange], policy: Policy) -> None:
    """Set or delete variables of an active element instance."""
    title = "failed to set element variables"
    row = _element_instance(tx, partition, id, title)
    steps.lock_instance(tx, partition, row.process_instance_id, title=title)
    if row.ended_at is not None:
        raise conflict(title, f"element instance {partition.isoformat()}/{id} has ended ({row.state})")
    store.apply(
        tx, store.Scope(partition, row.process_instance_id, row.process_id, row.id, row.element_id), changes, policy
    )
