"""Script tasks: which scripts the engine runs itself, and which become jobs for a worker.

The engine runs, inside a step, under the limits of every expression:

- Zeebe's ``<zeebe:script expression="=…" resultVariable="x"/>``: a FEEL expression;
- a ``<script>`` with ``scriptFormat`` ``feel`` or ``juel`` (Camunda 7): one expression, its
  value stored in ``camunda:resultVariable`` (nothing stored without one);
- a Python script (``scriptFormat`` ``python``, or none in a Python document: SpiffWorkflow)
  made only of assignments of the Python expression subset (``x = a + 1``,
  ``order['total'] += 1``): each assigned variable is stored.

Any other script — Groovy, JavaScript, Python with other statements, a ``camunda:resource``
file — becomes a job of type ``script:<language>`` (lower case, as written) for a worker, with
the headers ``script`` (the text), ``scriptFormat``, ``resource`` and ``resultVariable`` when
given, after the model's own headers. A script task with an explicit job type
(``zeebe:taskDefinition``, ``camunda:type="external"``) stays that job.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.expressions import ExpressionError, compile_expression
from engine.expressions.python import compile_script
from engine.model.dialects import PYTHON, SPIFFWORKFLOW_NAMESPACE
from engine.model.elements import Script
from engine.model.nodes import (
    CAMUNDA,
    ZEEBE,
    Node,
    attribute,
    bpmn_children,
    first_extension,
    qualified,
    text_of,
)

FEEL = "feel"
JUEL = "juel"
_PYTHON_FORMATS = frozenset({"python", "py", "python3"})


@dataclass(frozen=True)
class ScriptJob:
    """A script left to a worker: its job type and the headers that carry the script."""

    job_type: str
    headers: tuple[tuple[str, str], ...]


def read_script(node: Node, dialect: str, problems: list[str]) -> Script | ScriptJob | None:
    """What a script task without an explicit job type runs; None when it names no script."""
    zeebe = first_extension(node, ZEEBE, "script")
    if zeebe is not None:
        return _zeebe_script(zeebe, problems)
    bodies = bpmn_children(node, "script")
    resource = attribute(node, qualified(CAMUNDA, "resource"))
    source = "".join(bodies[0].itertext()) if bodies else ""
    if not source.strip() and resource is None:
        return None
    written = (node.get("scriptFormat") or "").strip()
    script_format = written.lower() or (PYTHON if dialect == PYTHON else "")
    result_variable = attribute(node, qualified(CAMUNDA, "resultVariable"))
    if resource is None:
        if script_format in (FEEL, JUEL):
            return _expression_script(script_format, source.strip(), result_variable, problems)
        if script_format in _PYTHON_FORMATS:
            try:
                compile_script(source)
            except ExpressionError:
                pass  # statements beyond assignments: a worker runs it
            else:
                return Script(PYTHON, source)
    if not script_format:
        problems.append("a script task with a script needs a scriptFormat (the language of its script)")
        return None
    headers = [("script", source.strip())] if source.strip() else []
    headers.append(("scriptFormat", written or script_format))
    if resource is not None:
        headers.append(("resource", resource))
    if result_variable is not None:
        headers.append(("resultVariable", result_variable))
    return ScriptJob(f"script:{script_format}", tuple(headers))


def _zeebe_script(zeebe: Node, problems: list[str]) -> Script | None:
    expression = attribute(zeebe, "expression")
    result_variable = attribute(zeebe, "resultVariable")
    if expression is None or result_variable is None:
        problems.append("zeebe:script needs an expression and a resultVariable")
        return None
    return _expression_script(FEEL, expression.strip(), result_variable, problems)


def _expression_script(language: str, text: str, result_variable: str | None, problems: list[str]) -> Script | None:
    source = text
    if language == FEEL and not text.startswith("="):
        source = "=" + text
    elif language == JUEL and not (text.startswith(("${", "#{")) and text.endswith("}")):
        source = "${" + text + "}"
    try:
        compile_expression(source)
    except ExpressionError as exc:
        problems.append(f"its {language.upper()} script does not compile: {exc}")
        return None
    return Script(language, source, result_variable)


def read_spiff_scripts(node: Node, problems: list[str]) -> tuple[Script | None, Script | None]:
    """An activity's ``spiffworkflow:preScript`` and ``spiffworkflow:postScript``: Python
    assignment scripts run before the activity begins and when it completes (SpiffWorkflow).
    A script beyond assignments of the expression subset is a problem: no worker could run it."""
    found: dict[str, Script | None] = {"preScript": None, "postScript": None}
    for container in bpmn_children(node, "extensionElements"):
        for child in container:
            tag = str(child.tag)
            name = tag.rsplit("}", 1)[-1]
            if SPIFFWORKFLOW_NAMESPACE not in tag or name not in found:
                continue
            source = text_of(child)
            if not source:
                continue
            try:
                compile_script(source)
            except ExpressionError as exc:
                problems.append(f"its spiffworkflow:{name} is not a script Baton runs: {exc}")
                continue
            found[name] = Script(PYTHON, source)
    return found["preScript"], found["postScript"]
