"""Activities: tasks (pass-through), job tasks, user tasks and embedded sub-processes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import isodate

from engine.model import Assignment, ElementType
from engine.runtime import boundary, calls, mappings, scripts, tokens
from engine.runtime.conditions import EvaluationError, value_or_expression
from engine.runtime.instances import ElementInstance, NewUserTask
from engine.runtime.step import Step
from engine.states import JobKind


def enter(step: Step, ei: ElementInstance) -> None:
    """Enter an activity: arm its boundary events, then begin its own work once they are armed.

    An activity whose boundary events still wait for a job (a timer, a message name, an error
    code that the model leaves open) stays CREATED and does nothing yet (go-bpmn).
    """
    if not boundary.attach(step, ei):
        return
    begin(step, ei)


def begin(step: Step, ei: ElementInstance) -> None:
    """Start the activity's own behaviour (its boundary events are armed)."""
    tokens.wait(step, ei)
    # Zeebe calls map their inputs into the child; Camunda 7 calls (camunda:in) keep them local.
    element = ei.element
    try:
        if element.pre_script is not None:
            mappings.run_script(step, ei, element.pre_script)
        if element.inputs and (element.type is not ElementType.CALL_ACTIVITY or element.call_variables is not None):
            mappings.apply_inputs(step, ei)
    except EvaluationError as exc:
        step.add_incident(ei, str(exc))
        return
    _BEGIN[ei.element.type](step, ei)


def _pass(step: Step, ei: ElementInstance) -> None:
    """A task or manual task has no behaviour: the token passes through."""
    tokens.take_all(step, ei)


def _job(step: Step, ei: ElementInstance) -> None:
    """Service, send, script and business-rule tasks wait for one ``EXECUTE`` job."""
    step.add_job(ei, JobKind.EXECUTE)


def _user(step: Step, ei: ElementInstance) -> None:
    """A user task waits for a person: it opens a user task with its assignment."""
    try:
        step.output.user_tasks.append(_user_task(step, ei, ei.element.assignment or Assignment()))
    except (EvaluationError, ValueError) as exc:
        step.add_incident(ei, str(exc))


def _sub_process(step: Step, ei: ElementInstance) -> None:
    """An embedded sub-process is a scope: a token starts at its none start event.

    Without start events, a token starts at each element without incoming sequence flows
    (BPMN 2.0 §10.5.2, an implicit start), in document order.
    """
    model = step.process.model
    start = model.none_start_event(ei.element.id)
    if start is not None:
        tokens.arrive(step, ei, None, start.id)
        return
    implicit = model.implicit_starts(ei.element.id)
    if not implicit:  # refused at deployment; kept as a guard for hand-made models
        step.add_incident(ei, f"sub-process {ei.element.id} has no none start event")
        return
    for element in implicit:
        tokens.arrive(step, ei, None, element.id)


_BEGIN = {
    ElementType.TASK: _pass,
    ElementType.MANUAL_TASK: _pass,
    ElementType.SERVICE_TASK: _job,
    ElementType.SEND_TASK: _job,
    ElementType.SCRIPT_TASK: scripts.begin,
    ElementType.BUSINESS_RULE_TASK: _job,
    ElementType.USER_TASK: _user,
    ElementType.SUB_PROCESS: _sub_process,
    ElementType.CALL_ACTIVITY: calls.begin,
}


def _user_task(step: Step, ei: ElementInstance, assignment: Assignment) -> NewUserTask:
    def text(value: str | None) -> str | None:
        result = value_or_expression(step, ei, value)
        return None if result is None else str(result)

    def names(values: tuple[str, ...]) -> tuple[str, ...]:
        result: list[str] = []
        for value in values:
            evaluated = value_or_expression(step, ei, value)
            if isinstance(evaluated, list):
                result.extend(str(item).strip() for item in evaluated)
            elif evaluated is not None:
                result.extend(part.strip() for part in str(evaluated).split(","))
        return tuple(name for name in result if name)

    priority = value_or_expression(step, ei, assignment.priority)
    if priority is not None:
        try:
            priority = int(priority)
        except (TypeError, ValueError):
            raise ValueError(f"priority of user task {ei.element.id} must be an integer, not {priority!r}") from None
    return NewUserTask(
        element_instance=ei,
        name=ei.element.name,
        assignee=text(assignment.assignee),
        candidate_users=names(assignment.candidate_users),
        candidate_groups=names(assignment.candidate_groups),
        due_date=_date(step, ei, assignment.due_date, "due date"),
        follow_up_date=_date(step, ei, assignment.follow_up_date, "follow-up date"),
        priority=priority,
    )


def _date(step: Step, ei: ElementInstance, value: str | None, what: str) -> datetime | None:
    result: Any = value_or_expression(step, ei, value)
    if result is None or result == "":
        return None
    try:
        parsed = isodate.parse_datetime(str(result))
    except (isodate.ISO8601Error, ValueError):
        raise ValueError(f"{what} of user task {ei.element.id} must be an ISO 8601 date-time, not {result!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=step.now.tzinfo)
    return parsed
