"""A step: one transaction's worth of token movement on one process instance.

The store loads the instance (row locked) and its active element instances into a ``Step``; the
runtime moves tokens by changing them in memory and by adding jobs, tasks, incidents and trace
events to ``step.output``; the store then writes everything in one flush. No SQL runs here.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.errors import EngineError, ErrorKind
from engine.model import Element
from engine.runtime.deployed import Deployed
from engine.runtime.instances import (
    ElementInstance,
    NewIncident,
    NewJob,
    NewTask,
    ParentBoundary,
    StepInstance,
    StepOutput,
)
from engine.states import InstanceState, JobKind, TaskKind
from engine.variables import VariableChange, from_value

# Elements a single step may enter before it is stopped as a probable endless loop.
MAX_ELEMENTS_PER_STEP = 10_000


@dataclass(frozen=True)
class Limits:
    """Limits a step enforces."""

    max_elements: int = MAX_ELEMENTS_PER_STEP


VariableLoader = Callable[[], Mapping[int | None, Mapping[str, Any]]]
ParentLoader = Callable[[], list[ParentBoundary]]
ProcessLookup = Callable[[str, str | None], int | None]


class Step:
    """The in-memory unit of work of one command or engine task on one process instance."""

    def __init__(
        self,
        *,
        now: datetime,
        worker_id: str,
        process: Deployed,
        instance: StepInstance,
        element_instances: Iterable[ElementInstance] = (),
        load_variables: VariableLoader | None = None,
        load_parent_boundaries: ParentLoader | None = None,
        lookup_process: ProcessLookup | None = None,
        limits: Limits = Limits(),
    ) -> None:
        self.now = now
        self.worker_id = worker_id
        self.process = process
        self.instance = instance
        self.element_instances: list[ElementInstance] = list(element_instances)
        self.output = StepOutput()
        self.agenda: deque[tuple[str, ElementInstance]] = deque()
        self.entered = 0
        self.limits = limits
        # Element instance ids allocated ahead (by the lock query), used before asking for more.
        self.id_pool: list[int] = []
        self._load_variables = load_variables
        self._load_parent_boundaries = load_parent_boundaries
        self._lookup_process = lookup_process
        self._variables: Mapping[int | None, Mapping[str, Any]] | None = None
        # Values this step set (set_variable), by scope: None for the process scope, else the
        # Python id() of the element instance (a new one has no database id before the flush).
        self._set_values: dict[int | None, dict[str, Any]] = {}

    # --- element instances -----------------------------------------------------------------

    def create(
        self,
        element: Element,
        parent: ElementInstance | None,
        *,
        prev: ElementInstance | None = None,
        prev_element_id: int | None = None,
        context: dict[str, Any] | None = None,
    ) -> ElementInstance:
        """Create a new element instance in state CREATED (recorded in the trace)."""
        self.entered += 1
        if self.entered > self.limits.max_elements:
            raise EngineError(
                ErrorKind.EXECUTION,
                "endless loop suspected",
                f"one step entered more than {self.limits.max_elements} elements; last element {element.id}",
            )
        ei = ElementInstance(
            element=element,
            element_id=self.process.element_ids[element.id],
            parent=parent,
            prev=prev,
            prev_element_id=prev_element_id,
            state=InstanceState.CREATED,
            created_at=self.now,
            created_by=self.worker_id,
            context=context,
        )
        self.element_instances.append(ei)
        self.output.events.append((ei, InstanceState.CREATED))
        return ei

    def set_state(self, ei: ElementInstance, state: InstanceState) -> None:
        """Move an element instance to a new state, with timestamps and a trace event."""
        if ei.state is state:
            return
        ei.state = state
        ei.dirty = True
        if state is InstanceState.STARTED and ei.started_at is None:
            ei.started_at = self.now
        if ei.is_ended:
            if ei.started_at is None:
                ei.started_at = self.now
            ei.ended_at = self.now
            if not ei.is_new:
                self.output.ended_with_work.append(ei)
        self.output.events.append((ei, state))

    def set_context(self, ei: ElementInstance, **values: Any) -> None:
        """Remember runtime data on an element instance (a timer, a decision, ...)."""
        ei.context = {**(ei.context or {}), **values}
        ei.dirty = True

    def active(self) -> list[ElementInstance]:
        """Every element instance of the instance that has not ended."""
        return [ei for ei in self.element_instances if not ei.is_ended]

    def children(self, scope: ElementInstance) -> list[ElementInstance]:
        """The active element instances directly inside a scope."""
        return [ei for ei in self.element_instances if ei.parent is scope and not ei.is_ended]

    def find(self, element_instance_id: int) -> ElementInstance | None:
        """A loaded element instance by id."""
        for ei in self.element_instances:
            if ei.id == element_instance_id:
                return ei
        return None

    def scope_of(self, ei: ElementInstance) -> ElementInstance:
        """The enclosing scope of an element instance."""
        if ei.parent is None:
            raise EngineError(ErrorKind.BUG, "missing scope", f"{ei!r} has no scope")
        return ei.parent

    def process_scope(self) -> ElementInstance | None:
        """The PROCESS element instance."""
        for ei in self.element_instances:
            if ei.parent is None:
                return ei
        return None

    # --- work --------------------------------------------------------------------------------

    def add_job(
        self, ei: ElementInstance, kind: JobKind, *, due_at: datetime | None = None, retry_count: int = 0
    ) -> None:
        """Open a job for a worker on an element instance."""
        element = ei.element
        self.output.jobs.append(
            NewJob(
                element_instance=ei,
                kind=kind,
                due_at=due_at or self.now,
                job_type=element.job_type if kind is JobKind.EXECUTE else None,
                retries=element.job_retries if kind is JobKind.EXECUTE else None,
                retry_count=retry_count,
            )
        )

    def add_task(
        self,
        kind: TaskKind,
        *,
        ei: ElementInstance | None = None,
        due_at: datetime | None = None,
        payload: dict[str, Any] | None = None,
    ) -> None:
        """Schedule an engine task (run by a Celery worker once due)."""
        self.output.tasks.append(NewTask(kind=kind, due_at=due_at or self.now, element_instance=ei, payload=payload))

    def add_incident(self, ei: ElementInstance, error: str) -> None:
        """Record an incident on an element instance that cannot go on by itself."""
        self.output.incidents.append(NewIncident(element_instance=ei, error=error))

    def lookup_process(self, bpmn_process_id: str, version: str | None) -> int | None:
        """The id of a deployed process version (None: the latest), or None when there is none."""
        return self._lookup_process(bpmn_process_id, version) if self._lookup_process else None

    def parent_boundaries(self) -> list[ParentBoundary]:
        """Boundary events on the call activity that started this instance (none for a root)."""
        if self.instance.parent_id is None or self._load_parent_boundaries is None:
            return []
        return self._load_parent_boundaries()

    # --- variables ---------------------------------------------------------------------------

    def variables_for(self, ei: ElementInstance) -> dict[str, Any]:
        """Decoded variables visible from an element instance: process scope, then each
        enclosing element scope from the outside in (inner names shadow outer ones), the
        element instance's own last; values set during this step included."""
        loaded = self._loaded()
        visible: dict[str, Any] = dict(loaded.get(None, {}))
        visible.update(self._set_values.get(None, {}))
        scopes: list[ElementInstance] = []
        current: ElementInstance | None = ei
        while current is not None:
            scopes.append(current)
            current = current.parent
        for scope in reversed(scopes):
            if scope.id is not None:
                visible.update(loaded.get(scope.id, {}))
            visible.update(self._set_values.get(id(scope), {}))
        return visible

    def local_variables(self, ei: ElementInstance) -> dict[str, Any]:
        """Decoded variables of an element instance itself, values set during this step included."""
        loaded = self._loaded()
        local: dict[str, Any] = dict(loaded.get(ei.id, {})) if ei.id is not None else {}
        local.update(self._set_values.get(id(ei), {}))
        return local

    def set_variable(self, scope: ElementInstance | None, name: str, value: Any) -> None:
        """Set a variable (a JSON-ready value) in a scope: ``None`` or the process's own element
        instance for the process scope, else an element instance (its local variables). Written
        with the step; visible to expressions evaluated later in it."""
        if scope is not None and scope.parent is None:
            scope = None  # the PROCESS element instance: its variables are the process's
        self._set_values.setdefault(None if scope is None else id(scope), {})[name] = value
        self.output.variables.append((scope, VariableChange(name, from_value(value))))

    def propagate_variable(self, ei: ElementInstance, name: str, value: Any) -> None:
        """Set a variable that ``ei`` produces (a result, an output mapping) where its scope
        chain already has it — the innermost enclosing scope that holds the name — else in the
        process scope (Zeebe's variable propagation; Camunda 7 sets it where it exists, too)."""
        loaded = self._loaded()
        scope = ei.parent
        while scope is not None and scope.parent is not None:
            held = self._set_values.get(id(scope), {})
            if name in held or (scope.id is not None and name in loaded.get(scope.id, {})):
                self.set_variable(scope, name, value)
                return
            scope = scope.parent
        self.set_variable(None, name, value)

    def _loaded(self) -> Mapping[int | None, Mapping[str, Any]]:
        if self._variables is None:
            self._variables = self._load_variables() if self._load_variables else {}
        return self._variables
