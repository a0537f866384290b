"""Commands that answer with a snapshot of the instance they changed (``engine.queries.snapshots``),
read in the same transaction: what a facade shows right after its change."""

from __future__ import annotations

from datetime import date

from engine.commands.process_instances import cancel_process_instance
from engine.queries.snapshots import Snapshot, read_snapshot
from engine.store.db import Tx
from engine.variables import Policy


def cancel_and_read(tx: Tx, partition: date, id: int, worker_id: str, reason: str | None, policy: Policy) -> Snapshot:
    """Cancel an instance (``cancel_process_instance``) and read its snapshot as the cancel left it."""
    cancel_process_instance(tx, partition, id, worker_id, reason, policy)
    snapshot = read_snapshot(tx, partition, id, policy)
    assert snapshot is not None  # the cancel found the instance in this transaction
    return snapshot
