"""User tasks: work for people — query, claim, assign, complete (``/user-tasks``).

Every change of a user task raises its ``revision``; :meth:`UserTasks.update` names the
revision it read, and a stale one is a :class:`~client.errors.Conflict`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from client.queries import one_or_many, query, single
from client.variables import variables_body
from client.wire import Address, Results, address, body, path_of, record, results, tags_body

if TYPE_CHECKING:
    from client.transport import Transport

STATES = ("STARTED", "COMPLETED", "CANCELED", "TERMINATED")


@dataclass(frozen=True)
class UserTask:
    """A user task (``state``: STARTED, COMPLETED, CANCELED, TERMINATED)."""

    partition: date
    id: int
    element_id: int | None = None
    element_instance_id: int | None = None
    process_id: int | None = None
    process_instance_id: int | None = None
    bpmn_element_id: str | None = None
    name: str | None = None
    correlation_key: str | None = None
    revision: int | None = None
    state: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    assignee: str | None = None
    candidate_users: tuple[str, ...] = ()
    candidate_groups: tuple[str, ...] = ()
    due_date: datetime | None = None
    follow_up_date: datetime | None = None
    priority: int | None = None
    created_at: datetime | None = None
    created_by: str | None = None
    updated_at: datetime | None = None
    updated_by: str | None = None
    ended_at: datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


class UserTasks:
    """Query, claim, unclaim, assign, update and complete user tasks."""

    def __init__(self, transport: Transport, worker_id: str) -> None:
        self._http = transport
        self._worker_id = worker_id

    def query(
        self,
        partition: date | str | None = None,
        id: int | None = None,
        process_instance_id: int | None = None,
        bpmn_element_id: str | None = None,
        states: Iterable[str] | str | None = None,
        assignee: str | None = None,
        candidate_user: str | None = None,
        candidate_group: str | None = None,
        offset: int = 0,
        limit: int | None = None,
        total: bool = False,
        newest_first: bool = False,
    ) -> Results[UserTask]:
        """User tasks matching every given criterion.

        Oldest first, newest first with ``newest_first``; ``total=True`` also counts every match
        (the answer's ``.total``).
        """
        data = query(
            self._http,
            "/user-tasks/query",
            partition=partition,
            id=id,
            process_instance_id=process_instance_id,
            bpmn_element_id=bpmn_element_id,
            states=one_or_many(states),
            assignee=assignee,
            candidate_user=candidate_user,
            candidate_group=candidate_group,
            offset=offset,
            limit=limit,
            total=total,
            newest_first=newest_first,
        )
        return results(UserTask, data)

    def get(self, user_task: Address) -> UserTask:
        """One user task (:class:`~client.errors.NotFound` when there is none)."""
        partition, id = address(user_task)
        return single(self.query(partition=partition, id=id), "user task", f"{partition}/{id}")

    def update(
        self,
        user_task: Address,
        revision: int,
        completed: bool = False,
        error_code: str | None = None,
        escalation_code: str | None = None,
        variables: Mapping[str, Any] | None = None,
        element_variables: Mapping[str, Any] | None = None,
        tags: Mapping[str, str] | None = None,
        worker_id: str | None = None,
    ) -> UserTask:
        """Change a user task at ``revision``: set process ``variables``, ``element_variables``
        and ``tags``; ``completed=True`` finishes it, ``error_code`` throws a BPMN error,
        ``escalation_code`` escalates."""
        payload = body(
            revision=revision,
            worker_id=worker_id or self._worker_id,
            completed=True if completed else None,
            error_code=error_code,
            escalation_code=escalation_code,
            process_variables=variables_body(variables),
            element_variables=variables_body(element_variables),
            tags=tags_body(tags),
        )
        # The revision makes a repeated update a 409, never a second effect; still not re-sent.
        return self._answer(
            user_task, self._http.json("PATCH", f"/user-tasks/{path_of(user_task)}", json=payload, idempotent=False)
        )

    def complete(
        self,
        user_task: Address,
        variables: Mapping[str, Any] | None = None,
        revision: int | None = None,
        worker_id: str | None = None,
    ) -> UserTask:
        """Complete a user task, setting process ``variables``; reads the current revision first
        unless ``revision`` is given."""
        if revision is None:
            revision = int(self.get(user_task).revision or 0)
        return self.update(user_task, revision, completed=True, variables=variables, worker_id=worker_id)

    def claim(self, user_task: Address, user: str, worker_id: str | None = None) -> UserTask:
        """Claim a user task for ``user`` (:class:`~client.errors.Conflict` when someone else holds it)."""
        return self._action(user_task, "claim", worker_id, user=user)

    def unclaim(self, user_task: Address, worker_id: str | None = None) -> UserTask:
        """Remove the assignee of a user task."""
        return self._action(user_task, "unclaim", worker_id)

    def assign(self, user_task: Address, assignee: str | None, worker_id: str | None = None) -> UserTask:
        """Set (or with ``None`` clear) the assignee of a user task."""
        return self._action(user_task, "assign", worker_id, assignee=assignee, keep_none=True)

    def _action(
        self, user_task: Address, action: str, worker_id: str | None, keep_none: bool = False, **fields: Any
    ) -> UserTask:
        payload = {"workerId": worker_id or self._worker_id}
        payload.update({k: v for k, v in fields.items() if v is not None or keep_none})
        data = self._http.json("PATCH", f"/user-tasks/{path_of(user_task)}/{action}", json=payload, idempotent=False)
        return self._answer(user_task, data)

    def _answer(self, user_task: Address, data: Any) -> UserTask:
        return record(UserTask, data) if data else self.get(user_task)
