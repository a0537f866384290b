"""Which expression dialect a model's bare expressions are written in.

Zeebe marks FEEL with a leading ``=`` and Camunda 7 / Flowable wrap JUEL in ``${…}``/``#{…}``,
so those two always say what they are. Bare text is the problem: a go-bpmn or Zeebe condition
``amount > 100`` is FEEL, a SpiffWorkflow condition ``answer == 'Yes'`` is Python. The document
decides, in this order:

1. ``expressionLanguage`` of ``<definitions>`` naming Python or FEEL;
2. the SpiffWorkflow extension namespace anywhere in the document → Python;
3. a script task with a script and no ``scriptFormat`` (SpiffWorkflow's convention; Camunda 7
   requires the attribute) or ``scriptFormat="python"`` → Python;
4. otherwise FEEL.

A single ``conditionExpression`` may name its own ``language``. And whatever the document says,
a bare expression that is not valid FEEL but valid Python is read as Python (see
``engine.expressions.compile_expression``): models drawn in Camunda Modeler for SpiffWorkflow
say nothing else about their dialect.
"""

from __future__ import annotations

from engine.model.nodes import Node, bpmn_tag

FEEL = "feel"
JUEL = "juel"
PYTHON = "python"

SPIFFWORKFLOW_NAMESPACE = "spiffworkflow.org"


def document_dialect(root: Node) -> str:
    """The dialect of bare expressions in a ``<definitions>`` document: ``feel`` or ``python``."""
    declared = language_of(root.get("expressionLanguage"))
    if declared in (FEEL, PYTHON):
        return declared
    if any(SPIFFWORKFLOW_NAMESPACE in (uri or "") for uri in root.nsmap.values()):
        return PYTHON
    for node in root.iter():
        if bpmn_tag(node) != "scriptTask":
            continue
        script_format = (node.get("scriptFormat") or "").strip().lower()
        has_script = any(bpmn_tag(child) == "script" and "".join(child.itertext()).strip() for child in node)
        if (has_script and not script_format) or script_format in ("python", "py", "python3"):
            return PYTHON
        if any(SPIFFWORKFLOW_NAMESPACE in str(child.tag) for child in node.iter()):
            return PYTHON
    return FEEL


def language_of(value: str | None) -> str | None:
    """A ``language``/``expressionLanguage`` value as a dialect Baton evaluates; None otherwise.

    FEEL is named by ``feel`` or a FEEL namespace URI, JUEL by ``juel`` (or Camunda's ``${}``
    habit of writing nothing), Python by ``python`` or a URI containing it.
    """
    if value is None:
        return None
    lowered = value.strip().lower()
    if "python" in lowered:
        return PYTHON
    if "feel" in lowered:
        return FEEL
    if lowered in ("juel", "jsr-245", "http://java.sun.com/products/jsp/"):
        return JUEL
    return None
