"""Engine tasks: rows of the task table that the engine runs itself (``TaskKind``).

- ``executor``: running one task in a transaction (``TaskContext``, the guarded final update);
- ``handlers``: which function runs each kind (``instance_tasks``, ``event_tasks``, ``partitions``);
- ``sweep``: running a delivered task with its retry, running due tasks now, the sweep, unlock.

This package imports none of its modules, so that a handler module can import ``executor``
without importing the handlers table that imports it.
"""
