"""What completing a job means for its element instance, per job type."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine.model import BOUNDARY_EVENTS
from engine.runtime import calls, catching, events, execution, gateways, timers, tokens
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
        from engine.runtime import throwing

        throwing.throw_from_job(step, ei, completion.error_code, completion.escalation_code)
        return
    tokens.take_all(step, ei)


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
    catching.armed_by_job(step, ei)


def _set_message_correlation_key(step: Step, ei: ElementInstance, completion: JobCompletion) -> None:
    values = step.process.event_values(ei.element.id)
    if not completion.message_correlation_key:
        raise CompletionError("expected a message correlation key")
    assert values is not None and values.message_name is not None
    catching.subscribe_message(step, ei, values.message_name, completion.message_correlation_key)
    catching.armed_by_job(step, ei)


def _subscribe_signal(step: Step, ei: ElementInstance, completion: JobCompletion) -> None:
    if not completion.signal_name:
        raise CompletionError("expected a signal name")
    catching.subscribe_signal(step, ei, completion.signal_name)
    catching.armed_by_job(step, ei)


def _set_timer(step: Step, ei: ElementInstance, completion: JobCompletion) -> None:
    timer = timers.from_dict(completion.timer)
    if timer is None:
        raise CompletionError("expected a timer")
    try:
        catching.schedule(step, ei, timer)
    except (timers.TimerError, EvaluationError) as exc:
        raise CompletionError(f"failed to evaluate timer: {exc}") from exc
    catching.armed_by_job(step, ei)


def _set_code(kind: str) -> Completer:
    def complete(step: Step, ei: ElementInstance, completion: JobCompletion) -> None:
        code = completion.error_code if kind == "error" else completion.escalation_code
        if ei.element.type in BOUNDARY_EVENTS:
            step.set_context(ei, code=code or "")  # an empty code catches every error/escalation
            catching.armed_by_job(step, ei)
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
    calls.from_job(step, ei, completion.called_process)


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
