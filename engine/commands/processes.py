"""Deploying processes (``POST /processes``)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from engine.commands.event_tasks import timer_start_task
from engine.errors import EngineError, ErrorCause, ErrorKind, conflict
from engine.model import (
    Element,
    ElementType,
    ProcessModel,
    Timer,
    inspect_definitions,
    parse_definitions,
    validate_process,
)
from engine.model.expressions import timer_problem
from engine.queries.processes import to_process
from engine.queries.records import Process
from engine.runtime import execution, timers
from engine.runtime.deployed import EventValues
from engine.store import partitions, steps
from engine.store import processes as store
from engine.store.db import Tx
from engine.store.processes import ProcessRow

# Which element types each kind of creation-time definition may name.
_DEFINABLE: dict[str, frozenset[ElementType]] = {
    "errors": frozenset({ElementType.ERROR_BOUNDARY_EVENT, ElementType.ERROR_END_EVENT}),
    "escalations": frozenset(
        {ElementType.ESCALATION_BOUNDARY_EVENT, ElementType.ESCALATION_END_EVENT, ElementType.ESCALATION_THROW_EVENT}
    ),
    "messages": frozenset(
        {ElementType.MESSAGE_START_EVENT, ElementType.MESSAGE_CATCH_EVENT, ElementType.MESSAGE_BOUNDARY_EVENT}
    ),
    "signals": frozenset(
        {
            ElementType.SIGNAL_START_EVENT,
            ElementType.SIGNAL_CATCH_EVENT,
            ElementType.SIGNAL_BOUNDARY_EVENT,
            ElementType.SIGNAL_END_EVENT,
            ElementType.SIGNAL_THROW_EVENT,
        }
    ),
    "timers": frozenset(
        {ElementType.TIMER_START_EVENT, ElementType.TIMER_CATCH_EVENT, ElementType.TIMER_BOUNDARY_EVENT}
    ),
}
_VALUE_KEY = {
    "errors": "errorCode",
    "escalations": "escalationCode",
    "messages": "messageName",
    "signals": "signalName",
    "timers": "timer",
}


@dataclass(frozen=True)
class CreateProcess:
    """``POST /processes``: deploy one process of a BPMN document as a new version."""

    bpmn_process_id: str
    bpmn_xml: str
    version: str
    worker_id: str
    parallelism: int = 0
    tags: Mapping[str, str] = field(default_factory=dict)
    # Creation-time definitions, as sent: {"errors": [{"bpmnElementId":..,"errorCode":..}], ...}
    definitions: Mapping[str, Sequence[Mapping[str, Any]]] = field(default_factory=dict)


def xml_hash(bpmn_xml: str) -> str:
    """The fingerprint that decides whether a redeployment is identical."""
    return hashlib.sha256(bpmn_xml.encode("utf-8")).hexdigest()


def create_process(tx: Tx, cmd: CreateProcess, *, max_bpmn_bytes: int) -> tuple[Process, bool]:
    """Deploy a process version; returns (process, created).

    The same BPMN process id and version with identical XML returns the existing process
    (``created`` False); different XML for an existing version is a CONFLICT.
    """
    model = _model(cmd, max_bpmn_bytes)
    events = _event_values(model, cmd.definitions)
    _check_start_names(tx, model, events)
    digest = xml_hash(cmd.bpmn_xml)
    existing = store.find(tx.conn, cmd.bpmn_process_id, cmd.version)
    if existing is not None:
        return replace(_same_or_conflict(existing, cmd, digest), warnings=model.warnings), False

    values = {
        "bpmn_process_id": cmd.bpmn_process_id,
        "version": cmd.version,
        "bpmn_xml": cmd.bpmn_xml,
        "bpmn_xml_hash": digest,
        "bpmn_collaboration_id": model.collaboration_id,
        "bpmn_participant_id": model.participant_id,
        "bpmn_participant_name": model.participant_name,
        "name": model.name,
        "parallelism": cmd.parallelism,
        "tags": dict(cmd.tags) or None,
        "definitions": {k: list(v) for k, v in cmd.definitions.items() if v} or None,
        "created_at": tx.now,
        "created_by": cmd.worker_id,
    }
    process_id = store.insert(tx.conn, values)
    if process_id is None:  # a concurrent deployment of the same version won
        existing = store.find(tx.conn, cmd.bpmn_process_id, cmd.version)
        assert existing is not None
        return replace(_same_or_conflict(existing, cmd, digest), warnings=model.warnings), False

    element_ids = store.insert_elements(tx.conn, process_id, model)
    row = {"id": process_id, "bpmn_process_id": cmd.bpmn_process_id, "version": cmd.version}
    store.insert_event_definitions(
        tx.conn,
        [
            store.event_definition_row(
                row, element_ids[element_id], element_id, str(model.elements[element_id].type), value
            )
            for element_id, value in events.items()
        ],
    )
    replaced = store.suspend_start_events(tx.conn, cmd.bpmn_process_id, process_id)
    _on_deploy(tx, row, model, events, element_ids, replaced, cmd)
    return replace(to_process(store.get(tx.conn, process_id)), warnings=model.warnings), True


def _on_deploy(
    tx: Tx,
    process: dict[str, Any],
    model: ProcessModel,
    events: dict[str, EventValues],
    element_ids: dict[str, int],
    replaced: list[int],
    cmd: CreateProcess,
) -> None:
    """Timer start events of the new version begin ticking (the older version's stop); a changed
    parallelism lets queued instances start."""
    if replaced:
        store.stop_start_timers(tx.conn, replaced, tx.now)
    starts = [
        timer_start_task(tx, process, element_ids[element.id], element.id, events[element.id].timer, cmd.worker_id)
        for element in model.elements.values()
        if element.type is ElementType.TIMER_START_EVENT and events[element.id].timer is not None
    ]
    if starts:
        partitions.ensure(tx.conn, tx.today, tx.now)
        steps.insert_tasks(tx, starts)
    queued = store.queued_count(tx.conn, cmd.bpmn_process_id)
    if queued:
        steps.insert_tasks(
            tx,
            [
                {
                    "partition": tx.today,
                    "process_id": process["id"],
                    "type": "DEQUEUE_PROCESS_INSTANCE",
                    "serialized_task": {"bpmnProcessId": cmd.bpmn_process_id},
                    "due_at": tx.now,
                }
            ],
        )


def _check_start_names(tx: Tx, model: ProcessModel, events: dict[str, EventValues]) -> None:
    """Message start names must be unique within the process and among the non-suspended message
    start events of other processes; signal start names within the process (go-bpmn)."""
    causes: list[ErrorCause] = []
    for element_type, field_name, kind in (
        (ElementType.MESSAGE_START_EVENT, "message_name", "message"),
        (ElementType.SIGNAL_START_EVENT, "signal_name", "signal"),
    ):
        seen: dict[str, str] = {}
        for element in model.elements.values():
            if element.type is not element_type or element.id not in events:
                continue
            name = getattr(events[element.id], field_name)
            pointer = f"#/{model.id}/{element.id}"
            if name in seen:
                causes.append(
                    ErrorCause(
                        pointer, f"{kind}_event", f"start {kind} name {name} must be unique (also on {seen[name]})"
                    )
                )
                continue
            seen[name] = element.id
            if kind == "message":
                other = store.message_start_elsewhere(tx.conn, name, model.id)
                if other is not None:
                    causes.append(
                        ErrorCause(
                            pointer,
                            "message_event",
                            f"start message name {name} must be unique - already defined in process "
                            f"{other.bpmn_process_id}:{other.version}",
                        )
                    )
    if causes:
        raise EngineError(ErrorKind.VALIDATION, "failed to create process", "; ".join(c.detail for c in causes), causes)


def _same_or_conflict(existing: ProcessRow, cmd: CreateProcess, digest: str) -> Process:
    if existing.bpmn_xml_hash != digest:
        raise conflict(
            "failed to create process",
            f"process {cmd.bpmn_process_id}:{cmd.version} exists with a different BPMN XML; "
            "deploy a new version instead",
        )
    return to_process(existing)


@dataclass(frozen=True)
class ProcessCheck:
    """What deploying one process of a document would say: its causes and warnings."""

    bpmn_process_id: str
    executable: bool
    causes: tuple[ErrorCause, ...]
    warnings: tuple[ErrorCause, ...]

    @property
    def valid(self) -> bool:
        """Whether the process would deploy (as far as a check without a database can tell)."""
        return not self.causes


def check_document(
    xml: str,
    *,
    max_bpmn_bytes: int,
    bpmn_process_id: str | None = None,
    definitions: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
) -> list[ProcessCheck]:
    """Validate without deploying: one check per process of the document (or just the one named).

    Every rule of a deploy applies except those that need the database (a message start name
    that another deployed process uses). Causes of the document itself (duplicate ids) belong
    to every process. Raises :class:`EngineError` only for a document that cannot be read, or
    when ``bpmn_process_id`` names no process of it.
    """
    inspection = inspect_definitions(xml, max_bytes=max_bpmn_bytes, compile_expressions=True)
    models = inspection.definitions.processes
    if bpmn_process_id is not None:
        models = tuple(model for model in models if model.id == bpmn_process_id)
        if not models:
            raise _no_such_process(bpmn_process_id, inspection.definitions.processes)
    checks: list[ProcessCheck] = []
    for model in models:
        causes = [*inspection.causes, *inspection.process_causes[model.id]]
        if not causes:
            causes.extend(_unsupported_causes(model))
        if not causes:
            try:
                _event_values(model, definitions or {})
            except EngineError as exc:
                causes.extend(exc.causes)
        checks.append(ProcessCheck(model.id, model.process.is_executable, tuple(causes), model.warnings))
    return checks


def _no_such_process(bpmn_process_id: str, processes: Sequence[ProcessModel]) -> EngineError:
    known = ", ".join(p.id for p in processes) or "none"
    return EngineError(
        ErrorKind.PROCESS_MODEL,
        "failed to create process",
        f"BPMN XML has no process {bpmn_process_id} (processes in the document: {known})",
        [ErrorCause("#/bpmnProcessId", "process", f"no process {bpmn_process_id}", bpmn_process_id)],
    )


def _unsupported_causes(model: ProcessModel) -> list[ErrorCause]:
    return [
        ErrorCause(f"#/{model.id}/{eid}", "element", f"{etype} is not supported yet")
        for eid, etype in execution.unsupported_elements(model)
    ]


def _model(cmd: CreateProcess, max_bpmn_bytes: int) -> ProcessModel:
    definitions = parse_definitions(cmd.bpmn_xml, max_bytes=max_bpmn_bytes, compile_expressions=True)
    model = definitions.process(cmd.bpmn_process_id)
    if model is None:
        raise _no_such_process(cmd.bpmn_process_id, definitions.processes)
    causes = validate_process(model)
    if causes:
        raise EngineError(
            ErrorKind.PROCESS_MODEL,
            "invalid BPMN process",
            f"process {model.id} is invalid: {len(causes)} cause(s)",
            causes,
        )
    unsupported = execution.unsupported_elements(model)
    if unsupported:
        raise EngineError(
            ErrorKind.NOT_IMPLEMENTED,
            "BPMN element not supported yet",
            "; ".join(f"element {eid} of type {etype} is not supported yet" for eid, etype in unsupported),
            _unsupported_causes(model),
        )
    return model


def _from_model(element: Element) -> EventValues | None:
    event = element.event
    if event is None:
        return None
    values = EventValues(
        message_name=event.message_name,
        correlation_key=event.correlation_key,
        signal_name=event.signal_name,
        error_code=event.error_code,
        escalation_code=event.escalation_code,
        timer=event.timer
        if event.timer and (event.timer.time_date or event.timer.time_duration or event.timer.time_cycle)
        else None,
    )
    if values == EventValues(correlation_key=event.correlation_key):
        return None
    return values


def _event_values(
    model: ProcessModel, definitions: Mapping[str, Sequence[Mapping[str, Any]]]
) -> dict[str, EventValues]:
    """Names, codes and timers known at deployment: the model's, overridden by definitions."""
    values: dict[str, EventValues] = {}
    for element in model.elements.values():
        known = _from_model(element)
        if known is not None:
            values[element.id] = known
    causes: list[ErrorCause] = []
    for kind, items in definitions.items():
        allowed = _DEFINABLE.get(kind)
        if allowed is None:
            continue
        for index, item in enumerate(items or ()):
            pointer = f"#/{kind}/{index}"
            element_id = item.get("bpmnElementId", "")
            element = model.elements.get(element_id)
            if element is None:
                causes.append(
                    ErrorCause(
                        f"{pointer}/bpmnElementId",
                        "element",
                        f"process {model.id} has no element {element_id}",
                        element_id,
                    )
                )
                continue
            if element.type not in allowed:
                causes.append(
                    ErrorCause(
                        f"{pointer}/bpmnElementId",
                        "element",
                        f"element {element_id} is a {element.type}; {kind} apply to " + ", ".join(sorted(allowed)),
                        element_id,
                    )
                )
                continue
            value = item.get(_VALUE_KEY[kind])
            current = values.get(
                element_id, EventValues(correlation_key=element.event.correlation_key if element.event else None)
            )
            if kind == "timers":
                timer = timers.from_dict(value) if isinstance(value, dict) else None
                problem = "a timer is required" if timer is None else timers.validate(timer) or timer_problem(timer)
                if problem:
                    causes.append(ErrorCause(f"{pointer}/timer", "timer", problem))
                    continue
                values[element_id] = EventValues(**{**current.__dict__, "timer": timer})
            else:
                field_name = {
                    "errors": "error_code",
                    "escalations": "escalation_code",
                    "messages": "message_name",
                    "signals": "signal_name",
                }[kind]
                values[element_id] = EventValues(**{**current.__dict__, field_name: value})
    for element in model.elements.values():
        known = values.get(element.id)
        if element.type is ElementType.MESSAGE_START_EVENT and not (known and known.message_name):
            causes.append(_missing(model, element, "message name", "messages"))
        elif element.type is ElementType.SIGNAL_START_EVENT and not (known and known.signal_name):
            causes.append(_missing(model, element, "signal name", "signals"))
        elif element.type is ElementType.TIMER_START_EVENT and not (known and known.timer):
            causes.append(_missing(model, element, "timer", "timers"))
        elif known is not None and known.timer is not None:
            problem = timers.validate(known.timer, model.expression_language)
            if (
                problem is None
                and element.type is ElementType.TIMER_START_EVENT
                and _is_expression(known.timer, model.expression_language)
            ):
                # Nothing would evaluate it: the first due time is computed here, without variables.
                problem = "a timer start event needs an ISO 8601 or CRON value, not an expression"
            if problem:
                causes.append(
                    ErrorCause(f"#/{model.id}/{element.id}", "timer", f"timer of element {element.id}: {problem}")
                )
    if causes:
        raise EngineError(
            ErrorKind.VALIDATION, "failed to create process", "; ".join(cause.detail for cause in causes), causes
        )
    return values


def _missing(model: ProcessModel, element: Element, what: str, definitions: str) -> ErrorCause:
    return ErrorCause(
        f"#/{model.id}/{element.id}",
        "start_event",
        f"start event {element.id} ({element.type}) has no {what}: give it in the model or in `{definitions}`",
    )


def _is_expression(timer: Timer, dialect: str) -> bool:
    # The test of timers.validate, which leaves such a value to be evaluated when the timer is set.
    return any(
        value and timers.is_expression_value(timer, value, dialect)
        for value in (timer.time_date, timer.time_duration, timer.time_cycle)
    )


def timer_of(values: EventValues | None) -> Timer | None:
    """The timer of an event, if known."""
    return values.timer if values else None
