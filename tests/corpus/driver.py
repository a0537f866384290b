"""A generic driver: start an instance of a corpus process and do whatever it waits for, the way
a patient user with no knowledge of the model would, until it completes or nothing more can be
done.

Each round runs the due engine tasks, then acts on every open piece of work of the database
(the test's database holds only this file's processes, so call activities, and instances that a
message starts, are driven too):

- a job is locked and completed with what its type needs: nothing for ``EXECUTE``,
  ``CALL_PROCESS`` (the model names the called process) and ``PASS_VARIABLES``; a gateway job
  takes the gateway's outgoing flows in turn — the first one the first time, the second the
  second time (so that a loop back ends after a few turns); an inclusive gateway takes its first
  non-default flow; ``SET_TIMER`` gets ``PT1S``; ``SUBSCRIBE_MESSAGE`` gets the message name of
  the model (else the element id) and the correlation key ``corpus``;
  ``SET_MESSAGE_CORRELATION_KEY`` gets ``corpus``; ``SUBSCRIBE_SIGNAL`` / ``SET_SIGNAL_NAME`` the
  signal name of the model (else the element id); ``SET_ERROR_CODE`` / ``SET_ESCALATION_CODE``
  an empty code on a boundary event (it catches all) and the model's code (else the element id)
  on a throwing event. A job that fails becomes an incident at once (no retries);
- an open user task is completed without variables;
- every open message subscription gets one message with its name and correlation key, every
  signal subscription one signal with its name;
- when nothing else is open, the engine clock moves to the earliest due task of the started
  instance's family (its timers), one second past it.

The driver stops after :data:`ROUNDS` rounds, when the started instance has ended, or when a
round finds nothing to do.

Variables: the first run starts with none. When it ends stuck with an open incident (a condition
or a mapping that reads a variable the start did not give), it runs again on a fresh instance
with variables guessed from the condition texts of the model (:func:`guess_variables`): a name
compared with a literal (``x == "Yes"``, ``x > 5``, ``x = 'a'``) gets a value that makes the
comparison true, every other name found in a condition gets ``True``. That is approximate: it
favours the first branch a condition names, and does not know types beyond the literal.
Each try is repeated while a Python script stops on a name nobody set (``NameError``: a
variable that SpiffWorkflow's own test, or a caller, gives): the next instance starts with that
name set to the string ``"corpus"``.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from engine.commands import jobs as job_commands
from engine.model import BOUNDARY_EVENTS, ProcessModel
from engine.queries import incidents as incident_queries
from engine.queries import jobs as job_queries
from engine.queries.messages import query_message_subscriptions
from engine.queries.records import Job, Process
from engine.queries.signals import query_signal_subscriptions
from engine.queries.user_tasks import query_user_tasks
from engine.runtime.jobs import JobCompletion
from tests.scenario import WORKER, Instance, Scenario, variables

ROUNDS = 200
# Due tasks run per round at most (a process that calls itself never runs out of them).
TASKS_PER_ROUND = 500
# A process that calls itself would fill the database: the driver stops past this many instances.
MAX_INSTANCES = 50
CORRELATION_KEY = "corpus"
# A run is repeated at most this many times, each time giving the names scripts missed.
MISSING_NAME_TRIES = 4
NAME_ERROR = re.compile(r"NameError: name '(\w+)' is not defined")
ENDED = frozenset({"COMPLETED", "TERMINATED", "CANCELED"})


@dataclass
class Outcome:
    """How a run ended: the started instance's state and, when it is stuck, where."""

    state: str
    waiting: list[str] = field(default_factory=list)
    incidents: list[str] = field(default_factory=list)
    jobs: list[str] = field(default_factory=list)
    variables: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        parts = [f"state {self.state}"]
        if self.waiting:
            counted = Counter(self.waiting)
            parts.append("waiting at " + ", ".join(f"{w} x{n}" if n > 1 else w for w, n in counted.items()))
        if self.incidents:
            parts.append("incidents: " + " | ".join(self.incidents))
        if self.jobs:
            parts.append("open jobs: " + ", ".join(self.jobs))
        if self.variables:
            parts.append(f"started with guessed variables {self.variables}")
        return "; ".join(parts)


def run(scenario: Scenario, process: Process, models: dict[str, ProcessModel]) -> Outcome:
    """Start an instance of ``process`` and drive it; when it ends stuck with an incident, try
    again with variables guessed from the conditions (first the first, then the last value a
    condition compares each name with), each try also giving the names scripts missed."""
    outcome, had_incident = _run_giving_missing_names(scenario, process, models, {})
    if outcome.state == "COMPLETED" or not had_incident:
        return outcome
    tried: list[dict[str, Any]] = [{}]
    for last in (False, True):
        guessed = guess_variables(models.values(), last=last)
        if guessed in tried:
            continue
        tried.append(guessed)
        outcome, _ = _run_giving_missing_names(scenario, process, models, guessed)
        if outcome.state == "COMPLETED":
            return outcome
    return outcome  # the last try, which usually got furthest


def _run_giving_missing_names(
    scenario: Scenario, process: Process, models: dict[str, ProcessModel], values: dict[str, Any]
) -> tuple[Outcome, bool]:
    """Run; while a Python script stops on a name nobody set (a variable its caller or
    SpiffWorkflow's test gives), run again on a fresh instance with that name set to a string.
    Returns the last outcome and whether any run ended with an incident."""
    values = dict(values)
    had_incident = False
    for _ in range(MISSING_NAME_TRIES):
        outcome = _run_once(scenario, process, models, values)
        had_incident = had_incident or bool(outcome.incidents)
        missing = [n for n in NAME_ERROR.findall(" ".join(outcome.incidents)) if n not in values]
        if outcome.state == "COMPLETED" or not missing:
            break
        values.update(dict.fromkeys(missing, CORRELATION_KEY))
    return outcome, had_incident


def _run_once(scenario: Scenario, process: Process, models: dict[str, ProcessModel], values: dict[str, Any]) -> Outcome:
    instance = _start(scenario, process, values)
    driver = _Driver(scenario, instance, models)
    for _ in range(ROUNDS):
        execute_due(scenario)
        if instance.get().state in ENDED or _instance_count(scenario) > MAX_INSTANCES or not driver.act():
            break
    execute_due(scenario)
    return _outcome(instance, values)


def _start(scenario: Scenario, process: Process, values: dict[str, Any]) -> Instance:
    """Create an instance; its start task runs in the driver's bounded rounds."""
    from engine.commands import process_instances as pi_commands

    command = pi_commands.CreateProcessInstance(
        bpmn_process_id=process.bpmn_process_id,
        version=process.version,
        worker_id=WORKER,
        variables=variables(values),
    )
    created = scenario.db.run(pi_commands.create_process_instance, command, scenario.policy)
    return Instance(scenario, created.partition, created.id)


def _instance_count(scenario: Scenario) -> int:
    with scenario.db.engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM process_instance")).scalar_one()


def execute_due(scenario: Scenario) -> None:
    """Run the due engine tasks, at most :data:`TASKS_PER_ROUND` of them."""
    from engine.commands.engine_tasks.sweep import execute_due as sweep

    done = 0
    while done < TASKS_PER_ROUND:
        result = sweep(scenario.db, scenario.context, limit=100, retry_seconds=0)
        done += result.locked
        if result.locked == 0:
            return


def _outcome(instance: Instance, values: dict[str, Any]) -> Outcome:
    state = instance.get().state
    if state == "COMPLETED":
        return Outcome(state, variables=values)
    family = _family(instance)
    waiting = [
        f"{ei.bpmn_element_id} ({ei.bpmn_element_type} {ei.state})"
        for member in family
        for ei in member.element_instances(("CREATED", "STARTED"))
        if ei.bpmn_element_type != "PROCESS"
    ]
    with instance.db.engine.connect() as conn:
        incidents = [
            f"{i.bpmn_element_id}: {i.error}"
            for member in family
            for i in incident_queries.query_incidents(
                conn, partition=member.partition, process_instance_id=member.id, resolved=False
            )
        ]
        jobs = [
            f"{j.bpmn_element_id} {j.type} {j.state}"
            for member in family
            for j in job_queries.query_jobs(
                conn, partition=member.partition, process_instance_id=member.id, states=("CREATED", "LOCKED")
            )
        ]
    return Outcome(state, waiting, incidents, jobs, values)


def _family(instance: Instance) -> list[Instance]:
    """The instance and every instance it called, recursively (at most MAX_INSTANCES)."""
    family, queue = [], [instance]
    while queue and len(family) <= MAX_INSTANCES:
        member = queue.pop()
        family.append(member)
        queue.extend(member.children())
    return family


class _Driver:
    def __init__(self, scenario: Scenario, instance: Instance, models: dict[str, ProcessModel]) -> None:
        self.scenario = scenario
        self.instance = instance
        self.models = models
        self.decisions: dict[tuple[int, str], int] = {}  # (instance id, gateway) -> times decided
        self.answered: set[tuple[str, int]] = set()  # subscriptions a message or signal went to

    @property
    def db(self) -> Any:
        return self.scenario.db

    def act(self) -> bool:
        """One round of work; False when nothing was left to do."""
        acted = False
        with self.db.engine.connect() as conn:
            jobs = job_queries.query_jobs(conn, states=("CREATED",))
        for job in jobs:
            self._complete(job)
            acted = True
        acted = self._user_tasks() or acted
        acted = self._messages_and_signals() or acted
        if not acted:
            acted = self._move_time()
        return acted

    def _complete(self, job: Job) -> None:
        locked = self.db.run(
            job_commands.lock_jobs,
            job_commands.LockJobs(worker_id=WORKER, partition=job.partition, id=job.id),
            default_lock_seconds=60,
        )
        if not locked:
            return
        cmd = job_commands.CompleteJob(
            worker_id=WORKER, completion=JobCompletion.from_dict(self._completion(job)), retry_limit=0
        )
        self.db.run(job_commands.complete_job, job.partition, job.id, cmd, self.scenario.policy)

    def _completion(self, job: Job) -> dict[str, Any]:
        model = self.models.get(job.bpmn_process_id)
        element = model.elements.get(job.bpmn_element_id) if model else None
        event = element.event if element else None
        if job.type == "EVALUATE_EXCLUSIVE_GATEWAY" and model:
            flows = model.outgoing(job.bpmn_element_id)
            turn = self.decisions.get((job.process_instance_id, job.bpmn_element_id), 0)
            self.decisions[(job.process_instance_id, job.bpmn_element_id)] = turn + 1
            return {"exclusiveGatewayDecision": flows[turn % len(flows)].target_id} if flows else {}
        if job.type == "EVALUATE_INCLUSIVE_GATEWAY" and model and element:
            flows = [f for f in model.outgoing(element.id) if f.id != element.default_flow]
            return {"inclusiveGatewayDecision": [flows[0].target_id] if flows else []}
        if job.type == "SET_TIMER":
            return {"timer": {"timeDuration": "PT1S"}}
        if job.type == "SUBSCRIBE_MESSAGE":
            name = (event.message_name if event else None) or job.bpmn_element_id
            return {"messageName": name, "messageCorrelationKey": CORRELATION_KEY}
        if job.type == "SET_MESSAGE_CORRELATION_KEY":
            return {"messageCorrelationKey": CORRELATION_KEY}
        if job.type in ("SUBSCRIBE_SIGNAL", "SET_SIGNAL_NAME"):
            return {"signalName": (event.signal_name if event else None) or job.bpmn_element_id}
        if job.type in ("SET_ERROR_CODE", "SET_ESCALATION_CODE"):
            key = "errorCode" if job.type == "SET_ERROR_CODE" else "escalationCode"
            if element is not None and element.type in BOUNDARY_EVENTS:
                return {key: ""}
            code = (event.error_code if key == "errorCode" else event.escalation_code) if event else None
            return {key: code or job.bpmn_element_id}
        return {}

    def _user_tasks(self) -> bool:
        from engine.commands.user_tasks import UpdateUserTask, update_user_task

        with self.db.engine.connect() as conn:
            tasks = query_user_tasks(conn, states=("STARTED",))
        for task in tasks:
            cmd = UpdateUserTask(revision=task.revision, worker_id=WORKER, completed=True)
            self.db.run(update_user_task, task.partition, task.id, cmd, self.scenario.policy)
        return bool(tasks)

    def _messages_and_signals(self) -> bool:
        acted = False
        with self.db.engine.connect() as conn:
            messages = query_message_subscriptions(conn)
            signals = query_signal_subscriptions(conn)
        for message in messages:
            if ("message", message.id) not in self.answered:
                self.answered.add(("message", message.id))
                self.scenario.send_message(message.name, message.correlation_key)
                acted = True
        for signal in signals:
            if ("signal", signal.id) not in self.answered:
                self.answered.add(("signal", signal.id))
                self.scenario.send_signal(signal.name)
                acted = True
        return acted

    def _move_time(self) -> bool:
        """Move the clock just past the earliest waiting task of the started instance's family."""
        from engine.commands.time import set_time

        dues = [task.due_at for member in _family(self.instance) for task in member.tasks(("CREATED",))]
        if not dues:
            return False
        now = self.db.clock.now()
        target = min(dues) + timedelta(seconds=1)
        if target <= now:
            return False
        self.db.run(set_time, time=target)
        return True


# --- guessing variables ----------------------------------------------------------------------

_STRINGS = re.compile(r"\"[^\"]*\"|'[^']*'")
_COMPARISON = re.compile(
    r"([A-Za-z_][\w.]*)\s*(==|!=|>=|<=|=|>|<|\beq\b|\bne\b|\bgt\b|\blt\b|\bge\b|\ble\b)\s*"
    r"(\"[^\"]*\"|'[^']*'|-?\d+(?:\.\d+)?|true|false|True|False)"
)
_NAME = re.compile(r"(?<![\w.\"'])([A-Za-z_]\w*)(?![\w\"'(])")
_NOT_NAMES = frozenset(
    {"and", "or", "not", "in", "is", "if", "then", "else", "for", "some", "every", "satisfies", "instance", "of"}
    | {"true", "false", "null", "none", "True", "False", "None", "empty", "execution", "task"}
    | {"eq", "ne", "lt", "gt", "le", "ge", "instanceof"}
)


def guess_variables(models: Any, *, last: bool = False) -> dict[str, Any]:
    """Values for the names the models' conditions read (see the module docstring); a name
    compared several times takes the first comparison's value, or with ``last`` the last one's."""
    guessed: dict[str, Any] = {}
    for model in models:
        for flow in model.flows.values():
            if flow.condition:
                _guess(flow.condition, guessed, last)
    return guessed


def _guess(condition: str, guessed: dict[str, Any], last: bool) -> None:
    for name, operator, literal in _COMPARISON.findall(condition):
        root = name.split(".")[0]
        if root in _NOT_NAMES or (root in guessed and not last):
            continue
        guessed[root] = _satisfying(operator, literal)
    for name in _NAME.findall(_STRINGS.sub(" ", condition)):
        if name not in _NOT_NAMES and name not in guessed:
            guessed[name] = True


def _satisfying(operator: str, literal: str) -> Any:
    if literal[0] in "\"'":
        value: Any = literal[1:-1]
    elif literal in ("true", "True", "false", "False"):
        value = literal in ("true", "True")
    else:
        value = float(literal) if "." in literal else int(literal)
    if operator in ("!=", "ne"):
        return (not value) if isinstance(value, bool) else (value + 1 if isinstance(value, int | float) else "")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    return {">": value + 1, "gt": value + 1, "<": value - 1, "lt": value - 1}.get(operator, value)
