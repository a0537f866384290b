"""The BPMN models of the facade tests."""

from __future__ import annotations

from pathlib import Path

# The order of Atom's quick start: a service task (order-validator), then a user task.
ORDER_PROCESSING = (Path(__file__).parent / "order-processing.bpmn").read_text()
