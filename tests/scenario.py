"""Scenario tests that read like the model: deploy, start, ``is_waiting_at``, ``complete_job``,
``execute_tasks``, ``is_completed`` — over the real database, calling engine functions directly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.commands import jobs as job_commands
from engine.commands import process_instances as pi_commands
from engine.commands.engine_tasks.executor import TaskContext
from engine.commands.engine_tasks.sweep import execute_due
from engine.commands.processes import CreateProcess, create_process
from engine.queries import element_instances as element_queries
from engine.queries import engine_tasks as task_queries
from engine.queries import incidents as incident_queries
from engine.queries import jobs as job_queries
from engine.queries import process_instances as pi_queries
from engine.queries.records import ElementInstance, Incident, Job, Process, ProcessInstance, Task
from engine.runtime.jobs import JobCompletion
from engine.store.db import Database
from engine.variables import Policy, VariableChange, VariableData, from_value

WORKER = "test-worker"


def variables(values: Mapping[str, Any]) -> list[VariableChange]:
    """JSON variables from a dict."""
    return [VariableChange(name, from_value(value)) for name, value in values.items()]


@dataclass
class Scenario:
    """Deploys models and starts instances in one test's database."""

    db: Database
    policy: Policy
    context: TaskContext = field(init=False)

    def __post_init__(self) -> None:
        self.context = TaskContext(policy=self.policy, engine_id="test-engine")

    def deploy(self, xml: str, bpmn_process_id: str, version: str = "1", **definitions: Any) -> Process:
        """Deploy a process (definitions: errors=[...], messages=[...], ...)."""
        cmd = CreateProcess(
            bpmn_process_id=bpmn_process_id, bpmn_xml=xml, version=version, worker_id=WORKER, definitions=definitions
        )
        process, _ = self.db.run(create_process, cmd, max_bpmn_bytes=5 * 1024 * 1024)
        return process

    def start(
        self, process: Process, values: Mapping[str, Any] | None = None, *, correlation_key: str | None = None
    ) -> Instance:
        """Create an instance and run its start task."""
        cmd = pi_commands.CreateProcessInstance(
            bpmn_process_id=process.bpmn_process_id,
            version=process.version,
            worker_id=WORKER,
            correlation_key=correlation_key,
            variables=variables(values or {}),
        )
        created = self.db.run(pi_commands.create_process_instance, cmd, self.policy)
        instance = Instance(self, created.partition, created.id)
        instance.execute_tasks()
        return instance

    def send_message(
        self,
        name: str,
        key: str,
        values: Mapping[str, Any] | None = None,
        *,
        unique_key: str | None = None,
        expires: str | None = None,
    ) -> Any:
        from engine.commands.messages import SendMessage, send_message

        cmd = SendMessage(
            name=name,
            correlation_key=key,
            worker_id=WORKER,
            unique_key=unique_key,
            expiration_timer={"timeDuration": expires} if expires else None,
            variables=variables(values or {}),
        )
        return self.db.run(send_message, cmd, self.policy)

    def send_signal(self, name: str, values: Mapping[str, Any] | None = None) -> Any:
        from engine.commands.signals import SendSignal, send_signal

        return self.db.run(
            send_signal, SendSignal(name=name, worker_id=WORKER, variables=variables(values or {})), self.policy
        )

    def move_time(self, duration: str) -> Any:
        from engine.commands.time import set_time

        return self.db.run(set_time, time_duration=duration)

    def instances(self, bpmn_process_id: str) -> list[Instance]:
        with self.db.engine.connect() as conn:
            found = pi_queries.query_process_instances(conn, bpmn_process_id=bpmn_process_id)
        return [Instance(self, p.partition, p.id) for p in found]

    def execute_due(self, **criteria: Any) -> list[Task]:
        """Run every due task matching the criteria (repeatedly, until none is left)."""
        done: list[Task] = []
        while True:
            result = execute_due(self.db, self.context, limit=100, retry_seconds=0, **criteria)
            done.extend(result.completed_tasks + result.failed_tasks)
            if result.locked == 0:
                return done


@dataclass
class Instance:
    """Assertions and actions on one process instance."""

    scenario: Scenario
    partition: Any
    id: int

    @property
    def db(self) -> Database:
        return self.scenario.db

    # --- reading --------------------------------------------------------------------------

    def get(self) -> ProcessInstance:
        with self.db.engine.connect() as conn:
            return pi_queries.query_process_instances(conn, partition=self.partition, id=self.id)[0]

    def element_instances(self, states: Sequence[str] = ()) -> list[ElementInstance]:
        with self.db.engine.connect() as conn:
            return element_queries.query_element_instances(
                conn, partition=self.partition, process_instance_id=self.id, states=states
            )

    def jobs(self, states: Sequence[str] = ()) -> list[Job]:
        with self.db.engine.connect() as conn:
            return job_queries.query_jobs(
                conn, partition=self.partition, process_instance_id=self.id, states=tuple(states)
            )

    def tasks(self, states: Sequence[str] = ()) -> list[Task]:
        with self.db.engine.connect() as conn:
            return task_queries.query_tasks(
                conn, partition=self.partition, process_instance_id=self.id, states=tuple(states)
            )

    def incidents(self) -> list[Incident]:
        with self.db.engine.connect() as conn:
            return incident_queries.query_incidents(conn, partition=self.partition, process_instance_id=self.id)

    def variables(self) -> dict[str, Any]:
        from engine.commands.variables import get_process_variables
        from engine.variables import to_value

        values = self.db.run(get_process_variables, self.partition, self.id, [], self.scenario.policy)
        return {name: to_value(data) for name, data in values.items()}

    # --- assertions -----------------------------------------------------------------------

    def is_waiting_at(self, bpmn_element_id: str) -> Instance:
        waiting = [
            ei for ei in self.element_instances() if ei.bpmn_element_id == bpmn_element_id and ei.ended_at is None
        ]
        assert waiting, f"instance is not waiting at {bpmn_element_id}: {self.trace()}"
        return self

    def has_passed(self, bpmn_element_id: str) -> Instance:
        passed = [
            ei for ei in self.element_instances() if ei.bpmn_element_id == bpmn_element_id and ei.state == "COMPLETED"
        ]
        assert passed, f"instance has not passed {bpmn_element_id}: {self.trace()}"
        return self

    def is_completed(self) -> Instance:
        state = self.get().state
        assert state == "COMPLETED", f"instance is {state}: {self.trace()}"
        return self

    def has_state(self, state: str) -> Instance:
        actual = self.get().state
        assert actual == state, f"instance is {actual}, expected {state}: {self.trace()}"
        return self

    def trace(self) -> str:
        return ", ".join(f"{ei.bpmn_element_id}:{ei.state}" for ei in self.element_instances())

    # --- acting ---------------------------------------------------------------------------

    def job(self, bpmn_element_id: str | None = None) -> Job:
        """The one open job of the instance (optionally at an element)."""
        open_jobs = [
            j
            for j in self.jobs(("CREATED", "LOCKED"))
            if bpmn_element_id is None or j.bpmn_element_id == bpmn_element_id
        ]
        assert len(open_jobs) == 1, f"expected one open job, got {open_jobs}"
        return open_jobs[0]

    def lock_job(self, bpmn_element_id: str | None = None, worker: str = WORKER) -> Job:
        job = self.job(bpmn_element_id)
        locked = self.db.run(
            job_commands.lock_jobs,
            job_commands.LockJobs(worker_id=worker, partition=job.partition, id=job.id),
            default_lock_seconds=60,
        )
        assert locked, f"job {job.id} could not be locked"
        return locked[0]

    def complete_job(
        self,
        bpmn_element_id: str | None = None,
        *,
        completion: Mapping[str, Any] | None = None,
        process_variables: Mapping[str, Any] | None = None,
        error: str | None = None,
        retry_limit: int | None = None,
        retry_timer: str | None = None,
        element_variables: Sequence[VariableChange] = (),
    ) -> Job:
        """Lock the open job (at an element) and complete it; then run the due tasks."""
        job = self.lock_job(bpmn_element_id)
        cmd = job_commands.CompleteJob(
            worker_id=WORKER,
            completion=JobCompletion.from_dict(dict(completion or {})),
            process_variables=variables(process_variables or {}),
            element_variables=element_variables,
            error=error,
            retry_limit=retry_limit,
            retry_timer=retry_timer,
        )
        done = self.db.run(job_commands.complete_job, job.partition, job.id, cmd, self.scenario.policy)
        self.execute_tasks()
        return done

    def states(self) -> list[tuple[str, str]]:
        """(bpmn element id, state) of every element instance, in creation order."""
        return [(ei.bpmn_element_id, ei.state) for ei in self.element_instances()]

    def job_types(self) -> list[str]:
        return [j.type for j in self.jobs()]

    def user_task(self) -> Any:
        from engine.queries.user_tasks import query_user_tasks

        with self.db.engine.connect() as conn:
            tasks = query_user_tasks(conn, partition=self.partition, process_instance_id=self.id)
        assert len(tasks) == 1, tasks
        return tasks[0]

    def update_user_task(self, **changes: Any) -> Any:
        from engine.commands.user_tasks import UpdateUserTask, update_user_task

        task = self.user_task()
        cmd = UpdateUserTask(revision=task.revision, worker_id=WORKER, **changes)
        result = self.db.run(update_user_task, task.partition, task.id, cmd, self.scenario.policy)
        self.execute_tasks()
        return result

    def children(self) -> list[Instance]:
        with self.db.engine.connect() as conn:
            found = pi_queries.query_process_instances(conn, partition=self.partition, parent_id=self.id)
        return [Instance(self.scenario, p.partition, p.id) for p in found]

    def execute_tasks(self) -> list[Task]:
        """Run every due task of this instance (and those it creates) until none is left."""
        return self.scenario.execute_due(partition=self.partition, process_instance_id=self.id)

    def cancel(self, reason: str | None = None) -> ProcessInstance:
        return self.db.run(
            pi_commands.cancel_process_instance, self.partition, self.id, WORKER, reason, self.scenario.policy
        )


def json_data(value: Any) -> VariableData:
    """A JSON variable value."""
    return from_value(value)
