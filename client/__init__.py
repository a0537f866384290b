"""Baton's Python client: a typed HTTP client (:class:`BatonClient`) and the job-worker SDK
(:class:`JobWorker`). It needs only ``requests`` and imports nothing of the server.

>>> from client import BatonClient, JobWorker
>>> baton = BatonClient("http://127.0.0.1:8080")          # key: BATON_API_KEY or ~/.baton/api-key
>>> baton.processes.deploy_file("order.bpmn", version="1")
>>> instance = baton.process_instances.start("order", variables={"total": 120})
"""

from client.client import BatonClient, default_worker_id
from client.element_instances import ElementInstance
from client.engine_tasks import ExecutedTasks, Task
from client.errors import (
    BatonError,
    Conflict,
    InvalidRequest,
    NotFound,
    ProblemCause,
    ServerError,
    Unauthorized,
    Unavailable,
)
from client.incidents import Incident
from client.jobs import Completion, Job
from client.messages import Message, MessageSubscription
from client.process_instances import ENDED_STATES, ProcessInstance
from client.processes import Element, Process, executable_process_ids
from client.signals import Signal, SignalSubscription
from client.time import Timer
from client.user_tasks import UserTask
from client.variables import DELETE, Variable, VariableData
from client.wire import Address, parse_address
from client.worker import BpmnError, EscalationError, JobWorker

__all__ = [
    "DELETE",
    "ENDED_STATES",
    "Address",
    "BatonClient",
    "BatonError",
    "BpmnError",
    "Completion",
    "Conflict",
    "Element",
    "ElementInstance",
    "EscalationError",
    "ExecutedTasks",
    "Incident",
    "InvalidRequest",
    "Job",
    "JobWorker",
    "Message",
    "MessageSubscription",
    "NotFound",
    "ProblemCause",
    "Process",
    "ProcessInstance",
    "ServerError",
    "Signal",
    "SignalSubscription",
    "Task",
    "Timer",
    "Unauthorized",
    "Unavailable",
    "UserTask",
    "Variable",
    "VariableData",
    "default_worker_id",
    "executable_process_ids",
    "parse_address",
]
