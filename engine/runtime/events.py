"""Events reached by a sequence flow: start, end, intermediate throw and catch, links.

None events pass the token on. Catch events wait (armed by ``catching``). Error, escalation and
signal throw and end events run as a TRIGGER_EVENT engine task once their code or name is known
(from the model, the definitions, or a ``SET_*`` job), as in go-bpmn; message throw and end
events, like send tasks, are an ``EXECUTE`` job: the worker sends the message.
"""

from __future__ import annotations

from engine.model import ElementType, EventKind
from engine.runtime import catching, throwing, tokens
from engine.runtime.instances import ElementInstance
from engine.runtime.step import Step
from engine.states import InstanceState, JobKind, TaskKind


def enter_pass(step: Step, ei: ElementInstance) -> None:
    """A none start or none throw event, or a link catch event, passes the token on."""
    tokens.take_all(step, ei)


def enter_end(step: Step, ei: ElementInstance) -> None:
    """A none end event ends its token; the scope completes once no token is left."""
    tokens.finish(step, ei)


def enter_terminate_end(step: Step, ei: ElementInstance) -> None:
    """A terminate end event ends every other token of its scope, which then completes.

    In the process scope this ends the whole instance; inside a sub-process only that
    sub-process (BPMN 2.0 §10.5.3).
    """
    tokens.finish(step, ei)
    for sibling in step.children(step.scope_of(ei)):
        tokens.terminate(step, sibling)


def enter_catch(step: Step, ei: ElementInstance) -> None:
    """An intermediate catch event waits: STARTED when armed, CREATED while a job must arm it."""
    if catching.arm(step, ei):
        tokens.wait(step, ei)


def enter_message_throw(step: Step, ei: ElementInstance) -> None:
    """A message throw or end event is an ``EXECUTE`` job: a worker sends the message."""
    tokens.wait(step, ei)
    step.add_job(ei, JobKind.EXECUTE)


_CODE_JOB = {
    EventKind.ERROR: JobKind.SET_ERROR_CODE,
    EventKind.ESCALATION: JobKind.SET_ESCALATION_CODE,
    EventKind.SIGNAL: JobKind.SET_SIGNAL_NAME,
}


def enter_throw(step: Step, ei: ElementInstance) -> None:
    """An error, escalation or signal throw/end event: once its code or name is known it is
    thrown by a TRIGGER_EVENT task; until then a ``SET_*`` job asks for it."""
    kind = catching.kind_of(ei)
    values = step.process.event_values(ei.element.id)
    value = None
    if values is not None:
        value = {
            EventKind.ERROR: values.error_code,
            EventKind.ESCALATION: values.escalation_code,
            EventKind.SIGNAL: values.signal_name,
        }[kind]
    if not value:
        step.add_job(ei, _CODE_JOB[kind])
        return
    ready_to_throw(step, ei, value)


def ready_to_throw(step: Step, ei: ElementInstance, value: str) -> None:
    """The code or name of a throw event is known: its TRIGGER_EVENT task throws it."""
    step.set_context(ei, code=value)
    tokens.wait(step, ei)
    step.add_task(TaskKind.TRIGGER_EVENT, ei=ei, payload={"throw": str(catching.kind_of(ei))})


def throw(step: Step, ei: ElementInstance) -> None:
    """Run a throw or end event's TRIGGER_EVENT task."""
    kind = catching.kind_of(ei)
    code = (ei.context or {}).get("code", "")
    end = ei.element.type.name.endswith("_END_EVENT")
    if kind is EventKind.SIGNAL:
        throwing.throw_signal(step, ei, code, end=end)
    elif kind is EventKind.ERROR:
        throwing.throw_end(step, ei, "error", code)
    elif end:
        throwing.throw_end(step, ei, "escalation", code)
    else:
        throwing.throw_escalation(step, ei, code)


def enter_link_throw(step: Step, ei: ElementInstance) -> None:
    """A link throw event jumps to the link catch event of the same name in its scope."""
    scope = step.scope_of(ei)
    name = ei.element.event.link_name if ei.element.event else None
    target = next(
        (
            child
            for child in step.process.model.children(scope.element.id)
            if child.type is ElementType.LINK_CATCH_EVENT and child.event is not None and child.event.link_name == name
        ),
        None,
    )
    tokens.finish(step, ei)
    if target is not None:
        tokens.arrive(step, scope, None, target.id)


def waiting_for_trigger(ei: ElementInstance) -> bool:
    """Whether an element instance still waits for its event."""
    return not ei.is_ended and ei.state in (InstanceState.CREATED, InstanceState.STARTED)
