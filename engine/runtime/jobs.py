"""What completing a job means for its element instance, per job type, and when a failed job
is retried (the model's retry cycle).

A completion that does not fit its job (no boundary event catches the BPMN error a worker
threw, an unknown called process, a missing decision) raises :class:`CompletionError`: the job
fails with that message and nothing else changes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from engine.model import BOUNDARY_EVENTS, Element
from engine.runtime import calls, catching, events, execution, gateways, throwing, timers, tokens
from engine.runtime.conditions import EvaluationError
from engine.runtime.instances import ElementInstance
from engine.runtime.step import Step
from engine.states import JobKind


class CompletionError(ValueError):
    """The completion does not fit the job: the job fails with this message (go-bpmn)."""


@dataclass(frozen=True)
class JobCompletion:
    """The ``completion`` union of the wire format; which field applies depends on the job type."""

    exclusive_gateway_decision: str | None = None
    inclusive_gateway_decision: tuple[str, ...] | None = None
    error_code: str | None = None
    escalation_code: str | None = None
    message_name: str | None = None
    message_correlation_key: str | None = None
    signal_name: str | None = None
    timer: dict[str, Any] | None = None
    called_process: dict[str, Any] | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> JobCompletion:
        """Build from the wire form (camelCase keys); unknown keys are ignored."""
        data = data or {}
        inclusive = data.get("inclusiveGatewayDecision")
        return cls(
            exclusive_gateway_decision=data.get("exclusiveGatewayDecision"),
            inclusive_gateway_decision=tuple(inclusive) if inclusive is not None else None,
            error_code=data.get("errorCode"),
            escalation_code=data.get("escalationCode"),
            message_name=data.get("messageName"),
            message_correlation_key=data.get("messageCorrelationKey"),
            signal_name=data.get("signalName"),
            timer=data.get("timer"),
            called_process=data.get("calledProcess"),
        )

    def to_dict(self) -> dict[str, Any]:
        """The wire form, without unset fields (kept in a CONTINUE_EXECUTION task)."""
        data = {
            "exclusiveGatewayDecision": self.exclusive_gateway_decision,
            "inclusiveGatewayDecision": list(self.inclusive_gateway_decision)
            if self.inclusive_gateway_decision is not None
            else None,
            "errorCode": self.error_code,
            "escalationCode": self.escalation_code,
            "messageName": self.message_name,
            "messageCorrelationKey": self.message_correlation_key,
            "signalName": self.signal_name,
            "timer": self.timer,
            "calledProcess": self.called_process,
        }
        return {key: value for key, value in data.items() if value is not None}


Completer = Callable[[Step, ElementInstance, JobCompletion], None]


def _execute(step: Step, ei: ElementInstance, completion: JobCompletion) -> None:
    if completion.error_code or completion.escalation_code:
        _throw(step, ei, completion.error_code, completion.escalation_code)
        return
    tokens.take_all(step, ei)


def _throw(step: Step, ei: ElementInstance, error_code: str | None, escalation_code: str | None) -> None:
    """A worker completed an ``EXECUTE`` job with a BPMN error or escalation code."""
    if error_code and escalation_code:
        raise CompletionError("expected error code or escalation code to be set, not both")
    if error_code:
        caught = throwing.find(step, ei, "error", error_code, "any")
        if caught is None:
            raise CompletionError(
                f"failed to throw BPMN error: failed to find boundary event for error code {error_code}"
            )
        throwing.deliver(step, caught, "error", error_code)
        return
    assert escalation_code
    caught = throwing.find(step, ei, "escalation", escalation_code, "any")
    if caught is None:
        raise CompletionError(
            f"failed to escalate job: failed to find boundary event for escalation code {escalation_code}"
        )
    throwing.deliver(step, caught, "escalation", escalation_code)
    if not caught.interrupting and not ei.is_ended:
        step.add_job(ei, JobKind.EXECUTE)  # the activity goes on: a new job for the same work


def _exclusive(step: Step, ei: ElementInstance, completion: JobCompletion) -> None:
    try:
        gateways.decide_exclusive(step, ei, completion.exclusive_gateway_decision)
    except gateways.DecisionError as exc:
        raise CompletionError(str(exc)) from exc


def _inclusive(step: Step, ei: ElementInstance, completion: JobCompletion) -> None:
    try:
        gateways.decide_inclusive(step, ei, completion.inclusive_gateway_decision)
    except gateways.DecisionError as exc:
        raise CompletionError(str(exc)) from exc


def _subscribe_message(step: Step, ei: ElementInstance, completion: JobCompletion) -> None:
    if not completion.message_name or not completion.message_correlation_key:
        raise CompletionError("expected a message name and correlation key")
    catching.subscribe_message(step, ei, completion.message_name, completion.message_correlation_key)
    execution.armed(step, ei)


def _set_message_correlation_key(step: Step, ei: ElementInstance, completion: JobCompletion) -> None:
    values = step.process.event_values(ei.element.id)
    if not completion.message_correlation_key:
        raise CompletionError("expected a message correlation key")
    assert values is not None and values.message_name is not None
    catching.subscribe_message(step, ei, values.message_name, completion.message_correlation_key)
    execution.armed(step, ei)


def _subscribe_signal(step: Step, ei: ElementInstance, completion: JobCompletion) -> None:
    if not completion.signal_name:
        raise CompletionError("expected a signal name")
    catching.subscribe_signal(step, ei, completion.signal_name)
    execution.armed(step, ei)


def _set_timer(step: Step, ei: ElementInstance, completion: JobCompletion) -> None:
    timer = timers.from_dict(completion.timer)
    if timer is None:
        raise CompletionError("expected a timer")
    try:
        catching.schedule(step, ei, timer)
    except (timers.TimerError, EvaluationError) as exc:
        raise CompletionError(f"failed to evaluate timer: {exc}") from exc
    execution.armed(step, ei)


def _set_code(kind: str) -> Completer:
    def complete(step: Step, ei: ElementInstance, completion: JobCompletion) -> None:
        code = completion.error_code if kind == "error" else completion.escalation_code
        if ei.element.type in BOUNDARY_EVENTS:
            step.set_context(ei, code=code or "")  # an empty code catches every error/escalation
            execution.armed(step, ei)
            return
        if not code:
            raise CompletionError(f"expected an {kind} code")
        events.ready_to_throw(step, ei, code)

    return complete


def _set_signal_name(step: Step, ei: ElementInstance, completion: JobCompletion) -> None:
    if not completion.signal_name:
        raise CompletionError("expected a signal name")
    events.ready_to_throw(step, ei, completion.signal_name)


def _call_process(step: Step, ei: ElementInstance, completion: JobCompletion) -> None:
    _start_called(step, ei, completion.called_process)


def _start_called(step: Step, ei: ElementInstance, called: Mapping[str, Any] | None) -> None:
    """Complete a ``CALL_PROCESS`` job: start the named process (fields the model has fill gaps)."""
    called = dict(called or {})
    model_id, model_version = (None, None)
    if ei.element.called_element:
        model_id, model_version = calls.split(ei.element.called_element, ei.element.called_version)
    bpmn_process_id = called.get("bpmnProcessId") or model_id
    version = called.get("version") or model_version
    if not bpmn_process_id:
        raise CompletionError("expected a called process: calledProcess.bpmnProcessId is missing")
    variables = tuple(called.get("variables") or ())
    tags = tuple(sorted((called.get("tags") or {}).items()))
    try:
        calls.request(
            step,
            ei,
            bpmn_process_id,
            version,
            variables,
            correlation_key=called.get("correlationKey"),
            tags=tags,
            via_job=True,
        )
    except calls.CallError as exc:
        raise CompletionError(str(exc)) from exc


def _pass_variables(step: Step, ei: ElementInstance, completion: JobCompletion) -> None:
    tokens.take_all(step, ei)  # the worker passed variables with the completion's processVariables


COMPLETERS: dict[JobKind, Completer] = {
    JobKind.EXECUTE: _execute,
    JobKind.EVALUATE_EXCLUSIVE_GATEWAY: _exclusive,
    JobKind.EVALUATE_INCLUSIVE_GATEWAY: _inclusive,
    JobKind.SUBSCRIBE_MESSAGE: _subscribe_message,
    JobKind.SET_MESSAGE_CORRELATION_KEY: _set_message_correlation_key,
    JobKind.SUBSCRIBE_SIGNAL: _subscribe_signal,
    JobKind.SET_TIMER: _set_timer,
    JobKind.SET_ERROR_CODE: _set_code("error"),
    JobKind.SET_ESCALATION_CODE: _set_code("escalation"),
    JobKind.SET_SIGNAL_NAME: _set_signal_name,
    JobKind.CALL_PROCESS: _call_process,
    JobKind.PASS_VARIABLES: _pass_variables,
}


def retry_delay(element: Element, kind: JobKind, retry_count: int) -> timedelta:
    """How long a failed job waits before its retry when the worker names no ``retryTimer``:
    the model's retry cycle delay for that retry (``retry_count`` retries so far), else none."""
    cycle = element.retry_cycle
    if kind is not JobKind.EXECUTE or cycle is None:
        return timedelta(0)
    return cycle.delay(retry_count)


def register(kind: JobKind, completer: Completer) -> None:
    """Add the completion semantics of a job type (used by the event modules)."""
    COMPLETERS[kind] = completer


def complete(step: Step, ei: ElementInstance, kind: JobKind, completion: JobCompletion) -> None:
    """Apply a job's completion to its element instance and move the tokens on.

    Raises :class:`CompletionError` when the completion is invalid for the job; the caller then
    fails the job with that message and nothing else changes.
    """
    completer = COMPLETERS.get(kind)
    if completer is None:
        raise CompletionError(f"jobs of type {kind} cannot be completed by this version of Baton")
    completer(step, ei, completion)
    execution.run(step)
