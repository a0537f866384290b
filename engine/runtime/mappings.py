"""Input and output mappings of activities (``zeebe:ioMapping``, ``camunda:inputOutput``).

Input mappings are evaluated when the activity begins, in the variables visible to it; each
result is a local variable of the activity's element instance, so a job worker reading the
element's variables, the activity's own expressions and, in a sub-process, its inner elements
see it. Output mappings are evaluated when the activity completes, in the variables visible to
it (its locals, those a job completion set on it included); each result is propagated to the
enclosing scope that already holds the name, else to the process scope. That is Zeebe's
behaviour, and Camunda 7's for ``camunda:inputOutput``. Call activities map variables between
caller and child instead (:mod:`engine.runtime.calls`).

A source is an expression (a bare name is a FEEL path). A Camunda 7 parameter is a constant
string, a whole ``${…}`` expression, a string template mixing both, or a list or map of such
values. A target ``a.b`` sets the member ``b`` of the object ``a`` (Zeebe), keeping its other
members. A mapping that cannot be evaluated is an incident on the activity.

SpiffWorkflow's pre- and post-scripts play the same part: Python assignment scripts run before
an activity begins and when it completes; each variable they assign is propagated like an
output (:func:`run_script`, which script tasks use too).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from engine.expressions import ExpressionError, is_expression, template_parts
from engine.expressions.python import PythonScript, compile_script
from engine.model import Mapping_
from engine.model.dialects import PYTHON
from engine.model.elements import Parameter, Script
from engine.runtime.conditions import EvaluationError, evaluate_expression
from engine.runtime.instances import ElementInstance
from engine.runtime.step import Step


def as_expression(source: str) -> str:
    """Mapping sources are expressions; a bare name is a FEEL path."""
    return source if source.startswith(("=", "${", "#{")) else "=" + source


def apply_inputs(step: Step, ei: ElementInstance) -> None:
    """Evaluate the activity's input mappings into its local variables (EvaluationError if one fails)."""
    for mapping in ei.element.inputs:
        value = evaluate(step, ei, mapping)
        name, value = _target(step.variables_for(ei), mapping.target, value)
        step.set_variable(ei, name, value)


def apply_outputs(step: Step, ei: ElementInstance) -> None:
    """Evaluate the activity's output mappings and propagate them out of it (EvaluationError if one fails).

    All are evaluated before any is set, so that one failing changes nothing.
    """
    results = [(mapping.target, evaluate(step, ei, mapping)) for mapping in ei.element.outputs]
    outer = step.variables_for(ei.parent) if ei.parent is not None else {}
    for target, value in results:
        name, value = _target(outer, target, value)
        step.propagate_variable(ei, name, value)
        outer[name] = value


def evaluate(step: Step, ei: ElementInstance, mapping: Mapping_) -> Any:
    """The value of one mapping in the scope of ``ei``."""
    if mapping.value is not None:
        return _parameter(step, ei, mapping.value)
    return evaluate_expression(step, ei, as_expression(mapping.source))


def _parameter(step: Step, ei: ElementInstance, value: Parameter) -> Any:
    if value.kind == "list":
        return [_parameter(step, ei, item) for _, item in value.items]
    if value.kind == "map":
        return {key: _parameter(step, ei, item) for key, item in value.items}
    text = value.text
    if is_expression(text):
        return evaluate_expression(step, ei, text)
    parts = template_parts(text)
    if not any(is_part for is_part, _ in parts):
        return text  # a constant string
    pieces = []
    for is_part, part in parts:
        result = evaluate_expression(step, ei, part) if is_part else part
        pieces.append("" if result is None else as_text(result))
    return "".join(pieces)


def as_text(value: Any) -> str:
    """A value's text in a string template (booleans as JUEL prints them)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _target(visible: dict[str, Any], target: str, value: Any) -> tuple[str, Any]:
    """(variable name, value) for a target; ``a.b.c`` merges into the object ``a``."""
    name, _, path = target.partition(".")
    if not path:
        return name, value
    current = visible.get(name)
    root: dict[str, Any] = dict(current) if isinstance(current, dict) else {}
    node = root
    keys = path.split(".")
    for key in keys[:-1]:
        child = node.get(key)
        node[key] = dict(child) if isinstance(child, dict) else {}
        node = node[key]
    node[keys[-1]] = value
    return name, root


def run_script(step: Step, ei: ElementInstance, script: Script) -> None:
    """Run a script the engine runs in the scope of ``ei`` and propagate what it sets out of it:
    a Python script each variable it assigns, a FEEL or JUEL one its value to the result
    variable (EvaluationError if it fails; nothing is set then)."""
    if script.language != PYTHON:
        value = evaluate_expression(step, ei, script.source)
        if script.result_variable is not None:
            step.propagate_variable(ei, script.result_variable, value)
        return
    try:
        results = _compiled(script.source).run(step.variables_for(ei))
    except ExpressionError as exc:
        raise EvaluationError(script.source, ei.element.id, exc.reason) from exc
    for name, value in results.items():
        step.propagate_variable(ei, name, value)


@lru_cache(maxsize=256)
def _compiled(source: str) -> PythonScript:
    return compile_script(source)
