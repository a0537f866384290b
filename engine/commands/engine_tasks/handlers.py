"""Which function runs an engine task of each kind (``TaskKind``).

``DETACH_PARTITION`` is not here: it runs DDL outside a transaction
(``partitions.run_ddl_task``, see ``sweep.run_task``).
"""

from __future__ import annotations

from engine.commands.engine_tasks.executor import Handler
from engine.commands.engine_tasks.instance_tasks import continue_execution, join, start_instance
from engine.commands.event_tasks import dequeue, terminate_instance, trigger_event
from engine.commands.partitions import create_partition, drop_partition, purge_messages, purge_signals
from engine.states import TaskKind

HANDLERS: dict[TaskKind, Handler] = {
    TaskKind.START_PROCESS_INSTANCE: start_instance,
    TaskKind.JOIN_PARALLEL_GATEWAY: join,
    TaskKind.CONTINUE_EXECUTION: continue_execution,
    TaskKind.TRIGGER_EVENT: trigger_event,
    TaskKind.TERMINATE_PROCESS_INSTANCE: terminate_instance,
    TaskKind.DEQUEUE_PROCESS_INSTANCE: dequeue,
    TaskKind.CREATE_PARTITION: create_partition,
    TaskKind.DROP_PARTITION: drop_partition,
    TaskKind.PURGE_MESSAGES: purge_messages,
    TaskKind.PURGE_SIGNALS: purge_signals,
}
