"""Script tasks the engine runs itself (see :mod:`engine.model.scripts` for which ones).

A FEEL or JUEL script is one expression: its value goes to the result variable. A Python
assignment script runs over a copy of the variables visible to the task; each variable it
assigns is stored. Values are propagated like output mappings: to the enclosing scope that
holds the name, else to the process scope. A script that fails (a limit, an assertion, a type
error) is an incident on the task; resolving it runs the script again. Anything else a script
task holds is a job (``script:<language>`` or its explicit job type).
"""

from __future__ import annotations

from engine.runtime import mappings, tokens
from engine.runtime.conditions import EvaluationError
from engine.runtime.instances import ElementInstance
from engine.runtime.step import Step
from engine.states import JobKind


def begin(step: Step, ei: ElementInstance) -> None:
    """Run the script (or open the task's job) and move on."""
    script = ei.element.script
    if script is None:
        step.add_job(ei, JobKind.EXECUTE)
        return
    try:
        mappings.run_script(step, ei, script)
    except EvaluationError as exc:
        step.add_incident(ei, str(exc))
        return
    tokens.take_all(step, ei)
